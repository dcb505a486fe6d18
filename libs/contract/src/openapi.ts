import { z } from 'zod';
import { ADMIN_SCHEMAS } from './admin';
import { CONTRACT_SCHEMAS } from './schemas';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as it appears under `components.schemas`. */
export type JsonSchema = { [keyword: string]: unknown };

/** `#/components/schemas/<name>`, for `@ApiOkResponse({ schema: ref('AgentApproval') })`. */
export function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** The contract's schemas as OpenAPI 3.1 `components.schemas`, referring to each other by `$ref`. */
export function openApiComponents(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const schema of [...CONTRACT_SCHEMAS, ...ADMIN_SCHEMAS]) registry.add(schema, { id: z.globalRegistry.get(schema)?.id as string });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'output', uri: (id) => ref(id).$ref });
  const components: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // Components are fragments of the document: no dialect or id of their own.
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    components[name] = rest;
  }
  return components;
}
