import { chainHash, GENESIS_HASH, verifyChainSegment } from './audit-chain';

function chain(length: number) {
  const events = [];
  let prevHash = GENESIS_HASH;
  for (let index = 1; index <= length; index++) {
    const fields = {
      seq: String(index),
      occurredAt: '2026-11-23T12:00:00.000Z',
      actorType: 'system',
      actorId: null,
      type: 'approval.requested',
      subjectType: 'approval',
      subjectId: `a${index}`,
      data: { n: index },
      prevHash,
    };
    const hash = chainHash(fields);
    events.push({ ...fields, hash });
    prevHash = hash;
  }
  return events;
}

describe('audit chain', () => {
  const start = { seq: 0n, hash: GENESIS_HASH };

  it('accepts an untouched chain', () => {
    expect(verifyChainSegment(chain(5), start)).toEqual({ ok: true, last: { seq: 5n, hash: chain(5)[4].hash } });
  });

  it('names the edited event when its data changes', () => {
    const events = chain(5);
    events[2] = { ...events[2], data: { n: 99 } };
    expect(verifyChainSegment(events, start)).toEqual({ ok: false, broken: { seq: '3', problem: 'hash_mismatch' } });
  });

  it('detects a deleted event as a gap', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(verifyChainSegment(events, start)).toEqual({ ok: false, broken: { seq: '3', problem: 'sequence_gap' } });
  });

  it('detects a re-hashed edit through the next link', () => {
    const events = chain(4);
    const edited = { ...events[1], data: { n: 42 } };
    events[1] = { ...edited, hash: chainHash(edited) };
    expect(verifyChainSegment(events, start)).toEqual({ ok: false, broken: { seq: '3', problem: 'prev_hash_mismatch' } });
  });
});
