import { Environment, serialize } from '@marcbachmann/cel-js';

/**
 * Variables visible to rule conditions. Numbers in `args` are plain JS numbers, which CEL sees as doubles (the
 * same mapping CEL uses for JSON / google.protobuf.Struct): comparisons with int or double literals both work
 * (`args.amount < 100`, `double(args.amount) < 100.0`), while arithmetic needs double operands
 * (`args.amount * 2.0`) or an explicit `int(args.amount)`.
 */
export const CEL_VARIABLES = ['action', 'args', 'agent', 'person', 'context'] as const;

export type CelProgram = (activation: Record<string, unknown>) => unknown;

export interface CelCompileResult {
  program?: CelProgram;
  error?: string;
  /** `syntax` when the text does not parse, `type` when it parses but fails the type check. */
  errorKind?: 'syntax' | 'type';
}

let environment: Environment | undefined;

function celEnvironment(): Environment {
  // Building an environment is the expensive part; one is shared by every taxonomy.
  if (environment === undefined) {
    environment = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false });
    for (const name of CEL_VARIABLES) {
      environment.registerVariable(name, 'map');
    }
  }
  return environment;
}

export function compileCel(expression: string): CelCompileResult {
  const env = celEnvironment();
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(expression);
  } catch (error) {
    return { error: firstLine((error as Error).message), errorKind: 'syntax' };
  }
  try {
    const checked = parsed.check();
    if (!checked.valid) {
      return { error: firstLine(checked.error?.message ?? 'type check failed'), errorKind: 'type' };
    }
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      return { error: `condition must be a bool, not ${checked.type}`, errorKind: 'type' };
    }
  } catch (error) {
    return { error: firstLine((error as Error).message), errorKind: 'type' };
  }
  return { program: (activation) => parsed(activation) as unknown };
}

export interface CelReferences {
  /** Which of CEL_VARIABLES the expression reads. */
  variables: Set<string>;
  /** Dot paths under `args` it reads or tests with `has()`, e.g. "recipient.iban". */
  argPaths: string[];
  /** A normal form of the expression, equal for conditions that differ only in spacing. */
  canonical: string;
}

interface AstNode {
  op: string;
  args: unknown;
}

/** What a condition that compiles refers to, for lint: a condition that reads no variable is a constant. */
export function celReferences(expression: string): CelReferences {
  const parsed = celEnvironment().parse(expression);
  const variables = new Set<string>();
  const argPaths: string[] = [];
  const names: ReadonlySet<string> = new Set(CEL_VARIABLES);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isAstNode(node)) return;
    if (node.op === 'id' && typeof node.args === 'string' && names.has(node.args)) {
      variables.add(node.args);
      return;
    }
    if (node.op === '.') {
      const path = argPath(node);
      if (path !== null) {
        variables.add('args');
        argPaths.push(path);
        return;
      }
    }
    visit(node.args);
  };
  visit(parsed.ast);
  return { variables, argPaths, canonical: serialize(parsed.ast) };
}

/** "args.a.b" as "a.b"; null for anything that is not a field chain rooted at `args`. */
function argPath(node: AstNode): string | null {
  const segments: string[] = [];
  let current: unknown = node;
  while (isAstNode(current) && current.op === '.') {
    const [target, field] = current.args as [unknown, unknown];
    if (typeof field !== 'string') return null;
    segments.unshift(field);
    current = target;
  }
  return isAstNode(current) && current.op === 'id' && current.args === 'args' ? segments.join('.') : null;
}

function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0];
  return line.trim();
}
