import { DomainError } from '@countersign/domain';
import { parseDecisionInput } from './decision.service';

const assertion = {
  id: 'cred',
  rawId: 'cred',
  type: 'public-key',
  response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
  clientExtensionResults: {},
};

function refusal(body: unknown): { code: string; message: string; details: unknown } {
  try {
    parseDecisionInput(body);
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseDecisionInput (the decision body, parsed at the edge)', () => {
  it('reads a verdict, a trimmed reason (none when blank) and a step-up assertion kept whole', () => {
    expect(parseDecisionInput({ verdict: 'approve' })).toEqual({ verdict: 'approve', reason: null, stepUp: null });
    expect(parseDecisionInput({ verdict: 'deny', reason: '  not now  ', step_up: null })).toEqual({
      verdict: 'deny',
      reason: 'not now',
      stepUp: null,
    });
    expect(parseDecisionInput({ verdict: 'deny', reason: '   ' }).reason).toBeNull();
    expect(parseDecisionInput({ verdict: 'approve', step_up: assertion }).stepUp).toEqual(assertion);
  });

  it.each<[string, unknown, string, string | undefined]>([
    ['a body that is not an object', ['approve'], 'the body must be a JSON object', undefined],
    ['no body', undefined, 'the body must be a JSON object', undefined],
    ['an unknown member, before anything else', { verdict: 'maybe', extra: 1 }, 'unknown member "extra"', 'extra'],
    ['a missing verdict', {}, 'verdict must be "approve" or "deny"', 'verdict'],
    ['another verdict', { verdict: 'Approve' }, 'verdict must be "approve" or "deny"', 'verdict'],
    ['a reason that is not text', { verdict: 'deny', reason: 7 }, 'reason must be a string of at most 1000 characters', 'reason'],
    ['a reason too long', { verdict: 'deny', reason: 'x'.repeat(1_001) }, 'reason must be a string of at most 1000 characters', 'reason'],
    [
      'a step-up that is no assertion',
      { verdict: 'approve', step_up: { id: 'cred' } },
      "step_up must be a WebAuthn credential response (SimpleWebAuthn's JSON shape)",
      'step_up',
    ],
  ])('refuses %s with invalid_request (naming the field where there is one)', (_label, body, message, field) => {
    expect(refusal(body)).toEqual({ code: 'invalid_request', message, details: field === undefined ? undefined : { field } });
  });
});
