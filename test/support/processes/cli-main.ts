import { main } from '../../../apps/cli/src';

/** `countersign` from the sources, for suites that start a CLI command as its own process (the MCP gateway over stdio). */
main(process.argv)
  .then((outcome) => outcome.endProcess && process.exit(process.exitCode || 1))
  .catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
