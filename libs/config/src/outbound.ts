import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { Agent as HttpAgent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type Duplex } from 'node:stream';
import { isPrivateAddress, normaliseHost } from '@countersign/domain';

/**
 * How Countersign connects to URLs someone else gave it (agents' callbacks, browsers' push services): the
 * address rule of `isPrivateAddress` holds for the address the socket connects to. Kept here, beside the
 * configuration that allows private addresses, so both libraries that reach out use the one rule.
 */

/** A connection refused because the host is, or resolves to, an internal address. Not worth retrying. */
export class RefusedAddressError extends Error {
  readonly code = 'ERR_INTERNAL_ADDRESS';

  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(host === address ? `${host} is a loopback or private address` : `${host} resolves to ${address}, a loopback or private address`);
    this.name = 'RefusedAddressError';
  }
}

type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A socket `lookup` that resolves once, refuses if ANY resolved address is internal, and hands the socket the
 * addresses it checked: there is no second resolution a rebinding DNS server could answer differently.
 * `resolve` is the system resolver; tests give their own.
 */
export function checkedLookup(resolve: Resolver = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      const internal = addresses.find((entry) => isPrivateAddress(entry.address));
      if (internal) return callback(new RefusedAddressError(hostname, internal.address), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

type ConnectionCallback = (error: Error | null, stream: Duplex) => void;
type CreateConnection = (options: ClientRequestArgs, callback?: ConnectionCallback) => Duplex | null | undefined;

/**
 * An address literal in the URL is connected to without a lookup, so the agents check it themselves here.
 * Connects as `connect` does unless the URL names an internal address literal; then the agent hands the error to
 * the request, which emits it, and no socket is ever opened.
 */
function connectUnlessInternal(
  options: ClientRequestArgs,
  callback: ConnectionCallback | undefined,
  connect: CreateConnection,
): Duplex | null | undefined {
  const host = normaliseHost(options.hostname ?? options.host ?? '');
  if (!(isIP(host) && isPrivateAddress(host))) return connect(options, callback);
  callback?.(new RefusedAddressError(host, host), undefined as unknown as Duplex);
  return undefined;
}

class CheckedHttpAgent extends HttpAgent {
  override createConnection(options: ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
    return connectUnlessInternal(options, callback, (checked, done) => super.createConnection(checked, done));
  }
}

class CheckedHttpsAgent extends HttpsAgent {
  override createConnection(options: ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
    return connectUnlessInternal(options, callback, (checked, done) => super.createConnection(checked, done));
  }
}

/**
 * Agents for requests to URLs from outside. Unless `allowPrivate` (development and tests), every connection is
 * to a checked address: a literal is checked before connecting, a name through `checkedLookup`.
 */
export function outboundAgents(options: { allowPrivate: boolean; https?: HttpsAgentOptions }): { http: HttpAgent; https: HttpsAgent } {
  const common: AgentOptions = { keepAlive: true };
  if (options.allowPrivate) return { http: new HttpAgent(common), https: new HttpsAgent({ ...common, ...options.https }) };
  const lookup = checkedLookup();
  return { http: new CheckedHttpAgent({ ...common, lookup }), https: new CheckedHttpsAgent({ ...common, ...options.https, lookup }) };
}

/** The refused address behind an error (itself or what caused it), or null. */
export function refusedAddressOf(error: unknown): RefusedAddressError | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof RefusedAddressError) return current;
  }
  return null;
}
