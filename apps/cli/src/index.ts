// The CLI's public face for the harness, the integration suites and the benchmark (eslint.config.mjs enforces it).
export { CliModule } from './cli.module';
export { main } from './main';
