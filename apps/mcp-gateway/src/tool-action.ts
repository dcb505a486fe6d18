import { AsyncLocalStorage } from 'node:async_hooks';
import { mcpResource } from '@countersign/enforcement';
import { IJsonError, parseIJson } from '@countersign/domain';
import type { GatewayConfig, ToolRule } from './gateway-config';

/** The action a tool call asks a person to approve, with where its token goes. */
export interface ToolAction {
  type: string;
  resource: string;
  /** The call's arguments, all of them: exactly what is forwarded, so the token's digest covers the whole call. */
  args: Record<string, unknown>;
  audience?: string;
  expiresIn?: number;
  /** False for a tool no rule maps: it goes to Countersign as an unknown action type, which the taxonomy makes critical. */
  mapped: boolean;
}

/** Set while the gateway handles an HTTP body that is JSON but not I-JSON: what is wrong with it. */
export const requestBodyProblem = new AsyncLocalStorage<string | undefined>();

/** Why a call is refused before anyone is asked. */
export class RefusedCall extends Error {
  override readonly name = 'RefusedCall';
}

/** The action type an unmapped tool is sent as; no taxonomy names it, so it takes the taxonomy's `unknown_action` tier. */
export function unmappedType(upstream: string, tool: string): string {
  return `mcp.unmapped.${upstream}.${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function findRule(config: GatewayConfig, tool: string): ToolRule | undefined {
  return config.tools.find((rule) => rule.matches(tool));
}

/**
 * Checks the arguments are I-JSON within the size limit, then derives the action. The SDK has already parsed the
 * JSON-RPC message, so what JSON.parse lost is caught here: integers beyond 2^53 and lone surrogates (refused by
 * the I-JSON parser on the re-serialized text) and non-finite numbers (which serialize to null and are found first).
 */
export function toolAction(
  config: GatewayConfig,
  upstream: { name: string; audience?: string },
  tool: string,
  args: Record<string, unknown>,
): ToolAction {
  const bodyProblem = requestBodyProblem.getStore();
  if (bodyProblem !== undefined) throw new RefusedCall(`the request is not I-JSON (RFC 7493): ${bodyProblem}`);
  const text = JSON.stringify(args, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new RefusedCall('the arguments hold a number outside what JSON can carry exactly');
    return value;
  });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > config.maxArgumentBytes) {
    throw new RefusedCall(`the arguments are ${bytes} bytes, more than the ${config.maxArgumentBytes} this gateway accepts`);
  }
  try {
    parseIJson(text);
  } catch (error) {
    if (error instanceof IJsonError) throw new RefusedCall(`the arguments are not I-JSON (RFC 7493): ${error.message}`);
    throw error;
  }
  const rule = findRule(config, tool);
  if (rule === undefined) {
    return {
      type: unmappedType(upstream.name, tool),
      resource: `mcp:${upstream.name}/${tool}`,
      args,
      audience: upstream.audience,
      mapped: false,
    };
  }
  const resource = rule.resource === undefined ? `mcp:${upstream.name}/${tool}` : mcpResource(rule.resource, args);
  if (resource === undefined || resource === '') {
    throw new RefusedCall(
      `the mapping derives the resource from "${rule.resource}", and an argument it names is missing or not a string or number`,
    );
  }
  return { type: rule.type, resource, args, audience: rule.audience ?? upstream.audience, expiresIn: rule.expires_in, mapped: true };
}
