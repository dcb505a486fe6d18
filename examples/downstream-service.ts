// A payments service that executes a transfer only with a valid approval token for exactly that transfer.
//   COUNTERSIGN_URL   Countersign's public URL (the tokens' issuer)
//   RESOURCE_SERVER_CLIENT_ID, RESOURCE_SERVER_CLIENT_SECRET
//                     from `countersign resource-servers create --audience https://payments.internal`
//   PORT              defaults to 4000
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createApprovalVerifier, isApprovalTokenError } from '@countersign/enforcement';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const countersignUrl = required('COUNTERSIGN_URL').replace(/\/+$/, '');
const verifier = createApprovalVerifier({
  issuer: countersignUrl,
  audience: 'https://payments.internal',
  jwksUri: `${countersignUrl}/.well-known/jwks.json`,
  consume: {
    kind: 'online',
    url: `${countersignUrl}/v1/approval-tokens/consume`,
    clientId: required('RESOURCE_SERVER_CLIENT_ID'),
    clientSecret: required('RESOURCE_SERVER_CLIENT_SECRET'),
  },
});

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<{ resource?: unknown; args?: unknown } | undefined> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 65_536) return undefined;
  }
  try {
    return JSON.parse(text) as { resource?: unknown; args?: unknown };
  } catch {
    return undefined;
  }
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST' || request.url !== '/transfers') return send(response, 404, { error: 'not_found' });
  const token = /^Approval (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return send(response, 403, { error: 'approval_required' });
  const body = await readJson(request);
  const args = body?.args;
  if (typeof body?.resource !== 'string' || typeof args !== 'object' || args === null)
    return send(response, 400, { error: 'invalid_request' });

  try {
    const approval = await verifier.verify(token, {
      type: 'payments.transfer',
      resource: body.resource,
      args: args as Record<string, unknown>,
    });
    // Execute exactly the arguments that were verified.
    console.log(
      `Transfer on ${body.resource}: ${JSON.stringify(args)} — for ${approval.subject}, approved by ${approval.approvers.map((a) => a.sub).join(', ')}`,
    );
    send(response, 200, { status: 'executed', approval_id: approval.approvalId });
  } catch (error) {
    if (!isApprovalTokenError(error)) throw error;
    // A bad token is refused (403); a Countersign outage is ours (503). Either way nothing runs.
    send(response, error.isOutage ? 503 : 403, { error: error.code });
  }
}

const port = Number(process.env.PORT ?? 4000);
createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    console.error(error);
    if (!response.headersSent) send(response, 500, { error: 'internal_error' });
  });
}).listen(port, () => console.log(`Payments service on http://127.0.0.1:${port}/transfers`));
