import { type JsonSchema } from './openapi';

// OpenAPI 3.1 `components.schemas` → a self-contained TypeScript file of types, for the agent SDK (which may not
// import the tree). A stand-in for openapi-typescript, which is not a dependency yet (docs/adr/0011): it knows the
// keywords the contract uses and throws on any other keyword that would change a type, so it cannot silently lie.

/** Keywords that constrain values but not their TypeScript type. */
const VALIDATION_ONLY = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems', 'propertyNames', 'default', 'examples', 'example', 'title', 'description']);
const TYPING = new Set(['type', 'enum', 'const', '$ref', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'oneOf', 'allOf']);

export interface EmitOptions {
  /** The schemas to emit, with every schema they refer to; all of them when absent. */
  roots?: string[];
  /** The file's opening comment. */
  header: string;
}

export function emitTypeScript(components: Record<string, JsonSchema>, options: EmitOptions): string {
  const names = options.roots ? closure(components, options.roots) : Object.keys(components);
  const blocks = names.map((name) => `${doc(components[name], '')}export type ${name} = ${typeOf(components[name], '')};\n`);
  return `${options.header.trimEnd()}\n\n${blocks.join('\n')}`;
}

function typeOf(schema: JsonSchema, indent: string): string {
  for (const keyword of Object.keys(schema)) {
    if (!TYPING.has(keyword) && !VALIDATION_ONLY.has(keyword)) throw new Error(`the contract emitter does not know the keyword ${keyword}`);
  }
  if (typeof schema.$ref === 'string') return refName(schema.$ref);
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[keyword])) return (schema[keyword] as JsonSchema[]).map((member) => typeOf(member, indent)).join(' | ');
  }
  if (Array.isArray(schema.allOf)) return (schema.allOf as JsonSchema[]).map((member) => typeOf(member, indent)).join(' & ');
  if (Array.isArray(schema.type)) return (schema.type as string[]).map((type) => typeOf({ ...schema, type }, indent)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf((schema.items as JsonSchema | undefined) ?? {}, indent);
      return /^[\w"]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object':
      return objectOf(schema, indent);
    case undefined:
      return 'unknown';
    default:
      throw new Error(`the contract emitter does not know the type ${JSON.stringify(schema.type)}`);
  }
}

function objectOf(schema: JsonSchema, indent: string): string {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const inner = `${indent}  `;
  const lines = Object.entries(properties).map(([key, value]) => `${doc(value, inner)}${inner}${key}${required.has(key) ? '' : '?'}: ${typeOf(value, inner)};\n`);
  const extra = schema.additionalProperties;
  if (extra !== undefined && extra !== false) lines.push(`${inner}[key: string]: ${extra === true ? 'unknown' : typeOf(extra as JsonSchema, inner)};\n`);
  return lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('')}${indent}}`;
}

function doc(schema: JsonSchema, indent: string): string {
  return typeof schema.description === 'string' ? `${indent}/** ${schema.description} */\n` : '';
}

function refName(ref: string): string {
  const match = /^#\/components\/schemas\/(\w+)$/.exec(ref);
  if (!match) throw new Error(`the contract emitter follows only local component references, not ${ref}`);
  return match[1];
}

/** `roots` and every schema they refer to, in the document's order. */
function closure(components: Record<string, JsonSchema>, roots: string[]): string[] {
  const wanted = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const ref = (value as JsonSchema).$ref;
    if (typeof ref === 'string') add(refName(ref));
    Object.values(value).forEach(visit);
  };
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    if (!components[name]) throw new Error(`no component schema named ${name}`);
    wanted.add(name);
    visit(components[name]);
  };
  roots.forEach(add);
  return Object.keys(components).filter((name) => wanted.has(name));
}
