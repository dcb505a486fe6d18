// The API's public face for the other apps, the harness and the benchmark (eslint.config.mjs enforces it).
export { type ApiAppOptions, createApiApp } from './app';
export { runApi } from './main';
export { SCIM_REFUSALS_PER_MINUTE } from './scim/scim-refusals';
