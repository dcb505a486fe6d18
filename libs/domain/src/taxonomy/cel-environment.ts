import { Environment } from '@marcbachmann/cel-js';

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
  try {
    const parsed = env.parse(expression);
    const checked = parsed.check();
    if (!checked.valid) {
      return { error: firstLine(checked.error?.message ?? 'type check failed') };
    }
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      return { error: `condition must be a bool, not ${checked.type}` };
    }
    return { program: (activation) => parsed(activation) as unknown };
  } catch (error) {
    return { error: firstLine((error as Error).message) };
  }
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0];
  return line.trim();
}
