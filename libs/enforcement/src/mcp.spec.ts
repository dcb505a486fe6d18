import { ApprovalTokenError } from './errors';
import { MCP_APPROVAL_HEADER, MCP_APPROVAL_META_KEY, mcpApprovalToken, mcpResource, verifyMcpToolCall } from './mcp';
import type { ApprovalCall, ApprovalVerifier, VerifiedApproval } from './verifier';

describe('mcpResource', () => {
  it('replaces each {argument}, nested ones by a dotted path', () => {
    expect(mcpResource('order:{order_id}/line:{line.number}', { order_id: 'A1', line: { number: 3 } })).toBe('order:A1/line:3');
    expect(mcpResource('shop', {})).toBe('shop');
  });

  it('is undefined when a named argument is missing or not a string or number', () => {
    expect(mcpResource('order:{order_id}', {})).toBeUndefined();
    expect(mcpResource('order:{order_id}', { order_id: { nested: true } })).toBeUndefined();
    expect(mcpResource('order:{order_id}', { order_id: null })).toBeUndefined();
  });
});

describe('mcpApprovalToken', () => {
  it('reads the header over HTTP and _meta over stdio', () => {
    expect(mcpApprovalToken({ requestInfo: { headers: { [MCP_APPROVAL_HEADER]: 'from-header' } } })).toBe('from-header');
    expect(mcpApprovalToken({ _meta: { [MCP_APPROVAL_META_KEY]: 'from-meta' } })).toBe('from-meta');
    expect(mcpApprovalToken({ _meta: { [MCP_APPROVAL_META_KEY]: 42 }, requestInfo: { headers: {} } })).toBeUndefined();
  });
});

describe('verifyMcpToolCall', () => {
  const calls: Array<{ token: string; call: ApprovalCall }> = [];
  const verifier: ApprovalVerifier = {
    verify: (token, call) => {
      calls.push({ token, call });
      return Promise.resolve({ approvalId: 'apr_1' } as VerifiedApproval);
    },
  };

  it('verifies the token against the expected action and the arguments as received', async () => {
    const args = { order_id: '7', amount: 5 };
    await verifyMcpToolCall(verifier, { _meta: { [MCP_APPROVAL_META_KEY]: 'tok' } }, args, {
      type: 'shop.refund',
      resource: 'order:7',
      agent: 'agt_1',
    });
    expect(calls).toEqual([{ token: 'tok', call: { type: 'shop.refund', resource: 'order:7', args, agent: 'agt_1' } }]);
  });

  it('refuses a call without a token as `missing`', async () => {
    const failure = verifyMcpToolCall(verifier, {}, {}, { type: 'shop.refund', resource: 'order:7' });
    await expect(failure).rejects.toBeInstanceOf(ApprovalTokenError);
    await expect(failure).rejects.toMatchObject({ code: 'missing' });
  });
});
