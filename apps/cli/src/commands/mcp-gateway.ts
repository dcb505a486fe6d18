import { GatewayConfigError, loadGatewayConfig, startGateway } from '../../../mcp-gateway/src';
import { CommandFailure } from '../output';

/**
 * `countersign mcp-gateway --config <file> [--stdio]`. Over stdio, stdout is the MCP channel: everything the
 * gateway has to say goes to stderr. Runs until SIGINT/SIGTERM, or (stdio) until the client closes stdin.
 */
export async function mcpGateway(file: string, options: { stdio: boolean }): Promise<void> {
  const config = await loadGatewayConfig(file, process.env).catch((error: unknown) => {
    throw error instanceof GatewayConfigError ? new CommandFailure('invalid_mapping', error.message, error.lines) : error;
  });
  const log = { warn: (message: string) => void process.stderr.write(`mcp-gateway: ${message}\n`) };
  const gateway = await startGateway(config, { stdio: options.stdio, log });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (options.stdio) process.stdin.once('end', () => void stop());
  else
    process.stdout.write(
      `Countersign MCP gateway: ${gateway.url} (acting for ${config.onBehalfOf ?? 'the person in each client’s bearer token'} through ${config.countersign.url})\n`,
    );
}
