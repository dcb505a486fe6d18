export * from './schemas';
export { type JsonSchema, openApiComponents, ref } from './openapi';
export { emitTypeScript, type EmitOptions } from './emit-typescript';
