export * from './admin';
export * from './schemas';
export { type JsonSchema, openApiComponents, ref } from './openapi';
