import { createCountersignClient } from '@countersign/client';
import { Gateway, type GatewayLog } from './gateway';
import type { GatewayConfig } from './gateway-config';
import { listenHttp, listenStdio } from './listen';
import { Upstream } from './upstream';

export {
  DEFAULT_MAX_ARGUMENT_BYTES,
  GatewayConfigError,
  loadGatewayConfig,
  parseGatewayConfig,
  type GatewayConfig,
} from './gateway-config';
export { describeOutcome, type GatewayLog } from './gateway';
export { MCP_PATH } from './listen';
export { unmappedType } from './tool-action';

export interface RunningGateway {
  /** The Streamable HTTP endpoint, when the gateway listens on one. */
  url?: string;
  close(): Promise<void>;
}

/**
 * `countersign mcp-gateway`: the gateway over Streamable HTTP (`listen` in the mapping file) or, with `stdio`, over
 * this process's stdin and stdout. Upstreams are reached on first use, so a gateway starts while one is down.
 */
export async function startGateway(config: GatewayConfig, options: { stdio?: boolean; log: GatewayLog }): Promise<RunningGateway> {
  const countersign = createCountersignClient({
    baseUrl: config.countersign.url,
    clientId: config.countersign.clientId,
    clientSecret: config.countersign.clientSecret,
  });
  const gateway = new Gateway(
    config,
    countersign,
    config.upstreams.map((upstream) => new Upstream(upstream)),
    options.log,
  );
  if (options.stdio) {
    if (config.onBehalfOf === undefined)
      throw new Error('over stdio there is no client authorization: name the person with "on_behalf_of"');
    const listener = await listenStdio(gateway);
    return { close: async () => (await listener.close(), await gateway.close()) };
  }
  if (config.listen === undefined) throw new Error('the mapping file has no "listen" section: add one, or run over stdio (--stdio)');
  const listener = await listenHttp(gateway, config.listen.host, config.listen.port, config.authorization);
  return { url: listener.url, close: async () => (await listener.close(), await gateway.close()) };
}
