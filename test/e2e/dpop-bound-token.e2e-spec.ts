import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AuditService } from '@countersign/audit';
import { Database } from '@countersign/database';
import { type PersonRecord } from '@countersign/people';
import {
  agentAccessToken,
  call,
  newAgent,
  newPerson,
  newResourceServer,
  type RunningApi,
  startApi,
  onlineVerifier,
} from '@countersign/testing';
import { ApprovalTokenService } from '@countersign/tokens';
import { dpopProof, type DpopKey, newDpopKey } from '../../libs/enforcement/test/dpop-proofs';

const PAYMENTS = 'https://payments.internal';
const URL_CALLED = `${PAYMENTS}/v1/refunds`;

/**
 * Issue 17, DPoP: an approval's token bound to the client's key at redemption (`bindToKey`, what the CIBA token
 * grant calls) carries `cnf.jkt`, replaces the unbound token, and the verifier SDK accepts it only with a proof by
 * that key.
 */
describe('a DPoP-bound approval token (RFC 9449)', () => {
  let api: RunningApi;
  let person: PersonRecord;
  let server: Awaited<ReturnType<typeof newResourceServer>>;
  let agentToken: string;
  let clientKey: DpopKey;

  beforeAll(async () => {
    api = await startApi();
    person = await newPerson(api.app, { permissions: ['payments.*'] });
    const agent = await newAgent(api.app, { capabilities: ['payments.*'] });
    server = await newResourceServer(api.app, `${PAYMENTS}/${Date.now()}`);
    agentToken = await agentAccessToken(api.url, agent.clientId, agent.clientSecret);
    clientKey = await newDpopKey();
  });
  afterAll(() => api.close());

  const args = (amount: number) => ({ amount, currency: 'EUR' });
  async function approved(amount: number): Promise<{ id: string; token: string }> {
    const created = await call<{ id: string; status: string; approval_token: string }>(`${api.url}/v1/approvals`, {
      token: agentToken,
      body: {
        action: { type: 'payments.refund', resource: 'order:1001', args: args(amount) },
        on_behalf_of: person.email,
        audience: server.audience,
      },
    });
    expect(created.body.status).toBe('approved');
    return { id: created.body.id, token: created.body.approval_token };
  }
  const bind = (approvalId: string, jkt: string) =>
    api.app.get(Database).transaction((tx) => api.app.get(ApprovalTokenService).bindToKey(tx, { type: 'system' }, approvalId, jkt));
  const verifier = () => onlineVerifier(api, server);
  const refundCall = (amount: number) => ({ type: 'payments.refund', resource: 'order:1001', args: args(amount) });

  it('mints the same claims with cnf.jkt, no longer-lived, and revokes the unbound token', async () => {
    const { id, token: unbound } = await approved(30);
    expect(decodeJwt(unbound)).not.toHaveProperty('cnf');
    const bound = await bind(id, clientKey.jkt);
    expect(bound).not.toBeNull();
    const before = decodeJwt(unbound);
    const after = decodeJwt(bound!.token);
    expect(decodeProtectedHeader(bound!.token).typ).toBe('approval+jwt');
    expect(after.cnf).toEqual({ jkt: clientKey.jkt });
    for (const claim of ['iss', 'sub', 'aud', 'act', 'approval_id', 'action', 'action_digest', 'risk', 'approvers']) {
      expect([claim, after[claim]]).toEqual([claim, before[claim]]);
    }
    expect(after.jti).not.toBe(before.jti);
    expect(after.exp).toBeLessThanOrEqual(before.exp! + 1);

    const sdk = verifier();
    // The unbound token is revoked: it no longer buys the call, with or without a proof.
    await expect(sdk.verify(unbound, refundCall(30))).rejects.toMatchObject({ code: 'already_consumed' });
    // The bound one needs a proof by the key, over this request and this token.
    await expect(sdk.verify(bound!.token, refundCall(30))).rejects.toMatchObject({ code: 'dpop_proof_required' });
    const otherKey = await newDpopKey();
    const wrongProof = await dpopProof(otherKey, { htu: URL_CALLED, accessToken: bound!.token });
    await expect(
      sdk.verify(bound!.token, { ...refundCall(30), dpop: { proof: wrongProof, method: 'POST', url: URL_CALLED } }),
    ).rejects.toMatchObject({
      code: 'dpop_key_mismatch',
    });
    const proof = await dpopProof(clientKey, { htu: URL_CALLED, accessToken: bound!.token });
    const verified = await sdk.verify(bound!.token, { ...refundCall(30), dpop: { proof, method: 'POST', url: URL_CALLED } });
    expect(verified.dpopJkt).toBe(clientKey.jkt);
    // Consumed: binding again finds nothing usable to bind.
    expect(await bind(id, clientKey.jkt)).toBeNull();
  });

  it('the consume endpoint reports the binding (cnf), and the mint is audited with the thumbprint', async () => {
    const { id } = await approved(31);
    const bound = await bind(id, clientKey.jkt);
    const consumed = await call<Record<string, unknown>>(`${api.url}/v1/approval-tokens/consume`, {
      body: { token: bound!.token },
      headers: { authorization: 'Basic ' + Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64') },
    });
    expect(consumed.body).toMatchObject({ active: true, jti: bound!.jti, cnf: { jkt: clientKey.jkt } });
    await api.app.get(AuditService).flush();
    const audited = await api.app
      .get(Database)
      .query<{ data: { dpop_jkt?: string } }>(`SELECT data FROM audit_events WHERE type = 'approval_token.minted' AND data->>'jti' = $1`, [
        bound!.jti,
      ]);
    expect(audited.map((row) => row.data.dpop_jkt)).toEqual([clientKey.jkt]);
  });
});
