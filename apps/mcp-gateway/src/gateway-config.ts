import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { compilePattern, MAX_EXPIRES_IN_SECONDS, readYamlDocument, type PatternMatcher, type YamlProblem } from '@countersign/domain';

const ACTION_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const NAME = /^[A-Za-z0-9_-]+$/;
/** Arguments bigger than this are refused before anyone is asked; Countersign's own body limit is 64 KiB. */
export const DEFAULT_MAX_ARGUMENT_BYTES = 32 * 1024;

const upstreamSchema = z
  .strictObject({
    name: z.string().regex(NAME, 'must be letters, digits, "_" or "-"'),
    /** A Streamable HTTP upstream. */
    url: z.url().optional(),
    /** A stdio upstream: the command the gateway starts, its arguments, its working directory and environment. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** Prepended to the upstream's tool names, when two upstreams would otherwise offer the same name. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*$/)
      .optional(),
    /** The audience of this upstream's approval tokens (a tool rule may override it). */
    audience: z.url().optional(),
  })
  .refine((upstream) => (upstream.url === undefined) !== (upstream.command === undefined), 'give exactly one of "url" and "command"');

const toolSchema = z.strictObject({
  /** The tool's name as the gateway exposes it, or a glob with `*`. The first rule that matches wins. */
  tool: z.string().min(1),
  type: z.string().max(200).regex(ACTION_TYPE, 'must be a dotted action type such as "payments.refund"'),
  /** `{argument}` placeholders are replaced by the call's arguments; default `mcp:<upstream>/<tool>`. */
  resource: z.string().min(1).max(2000).optional(),
  audience: z.url().optional(),
  /** Seconds a person has to decide (Countersign caps it at the tier's own TTL). */
  expires_in: z.number().int().min(1).max(MAX_EXPIRES_IN_SECONDS).optional(),
});

const configSchema = z.strictObject({
  countersign: z.strictObject({
    url: z.url(),
    client_id: z.string().min(1),
    /** The name of the environment variable that holds the client secret (never the secret itself). */
    client_secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
    /** Where people open an approval (`<approval_page_url>/approvals/<id>`); default: `url`. */
    approval_page_url: z.url().optional(),
  }),
  /** The person the gateway's agent acts for: email or Countersign person id. */
  on_behalf_of: z.string().min(1).max(320).optional(),
  /** Instead: the person comes from each MCP client's bearer token (MCP authorization), issued by this issuer. */
  authorization: z
    .strictObject({
      issuer: z.url(),
      jwks_uri: z.url(),
      /** The `aud` the tokens must carry: this gateway's resource identifier. */
      audience: z.string().min(1),
      /** The claim that names the person (an email or a Countersign person id). */
      person_claim: z.string().min(1).default('email'),
    })
    .optional(),
  listen: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) }).optional(),
  hide_unmapped: z.boolean().default(false),
  max_argument_bytes: z
    .number()
    .int()
    .min(1)
    .max(60 * 1024)
    .default(DEFAULT_MAX_ARGUMENT_BYTES),
  upstreams: z.array(upstreamSchema).min(1),
  tools: z.array(toolSchema).default([]),
});

export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export interface AuthorizationConfig {
  issuer: string;
  jwksUri: string;
  audience: string;
  personClaim: string;
}
export type ToolRule = z.infer<typeof toolSchema> & { matches: PatternMatcher };

export interface GatewayConfig {
  countersign: { url: string; clientId: string; clientSecret: string; approvalPageUrl: string };
  /** Set unless `authorization` is: then each session's person comes from its client's bearer token. */
  onBehalfOf?: string;
  authorization?: AuthorizationConfig;
  listen?: { host: string; port: number };
  hideUnmapped: boolean;
  maxArgumentBytes: number;
  upstreams: UpstreamConfig[];
  tools: ToolRule[];
}

/** A mapping file that cannot be used: every problem, each at its line. The gateway does not start. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  constructor(
    readonly file: string,
    readonly problems: Pick<YamlProblem, 'line' | 'column' | 'path' | 'message'>[],
  ) {
    super(`${file} is not a valid gateway mapping file`);
  }

  /** One line a problem, `line L:C path: message`, as the CLI prints the taxonomy's. */
  get lines(): string[] {
    return this.problems.map(
      (problem) => `line ${problem.line}:${problem.column} ${problem.path ? problem.path + ': ' : ''}${problem.message}`,
    );
  }
}

/** Parses the mapping file's text; `env` supplies the client secret named by `client_secret_env`. */
export function parseGatewayConfig(text: string, file: string, env: Record<string, string | undefined>): GatewayConfig {
  const reading = readYamlDocument(text, configSchema);
  const value = reading.value;
  if (value === undefined) throw new GatewayConfigError(file, reading.errors);
  const secret = env[value.countersign.client_secret_env];
  if (!secret) {
    const at = reading.locate(['countersign', 'client_secret_env']);
    throw new GatewayConfigError(file, [
      {
        ...at,
        path: 'countersign.client_secret_env',
        message: `the environment variable ${value.countersign.client_secret_env} is not set`,
      },
    ]);
  }
  if ((value.on_behalf_of === undefined) === (value.authorization === undefined)) {
    throw new GatewayConfigError(file, [
      {
        line: 1,
        column: 1,
        path: '',
        message: 'give exactly one of "on_behalf_of" (one person) and "authorization" (the person from each client)',
      },
    ]);
  }
  const names = new Set<string>();
  for (const [index, upstream] of value.upstreams.entries()) {
    if (names.has(upstream.name)) {
      throw new GatewayConfigError(file, [
        {
          ...reading.locate(['upstreams', index, 'name']),
          path: `upstreams[${index}].name`,
          message: `a second upstream named "${upstream.name}"`,
        },
      ]);
    }
    names.add(upstream.name);
  }
  const base = dirname(resolve(file));
  return {
    countersign: {
      url: value.countersign.url,
      clientId: value.countersign.client_id,
      clientSecret: secret,
      approvalPageUrl: (value.countersign.approval_page_url ?? value.countersign.url).replace(/\/+$/, ''),
    },
    onBehalfOf: value.on_behalf_of,
    authorization: value.authorization && {
      issuer: value.authorization.issuer,
      jwksUri: value.authorization.jwks_uri,
      audience: value.authorization.audience,
      personClaim: value.authorization.person_claim,
    },
    listen: value.listen,
    hideUnmapped: value.hide_unmapped,
    maxArgumentBytes: value.max_argument_bytes,
    // A relative working directory is the mapping file's, not the shell's.
    upstreams: value.upstreams.map((upstream) =>
      upstream.cwd === undefined ? upstream : { ...upstream, cwd: resolve(base, upstream.cwd) },
    ),
    tools: value.tools.map((rule) => ({ ...rule, matches: compilePattern(rule.tool) })),
  };
}

export async function loadGatewayConfig(file: string, env: Record<string, string | undefined>): Promise<GatewayConfig> {
  return parseGatewayConfig(await readFile(file, 'utf8'), file, env);
}
