import { approverRooms } from './live-events';

describe('approverRooms (who gets approval.created)', () => {
  const alice = '11111111-1111-4111-8111-111111111111';
  const bob = '22222222-2222-4222-8222-222222222222';

  it("reaches a group entry's recorded members in their own rooms, and nobody for a group without a record", () => {
    expect(approverRooms(alice, ['on_behalf_of', 'role:admin', 'group:finance'], { finance: [bob] })).toEqual([
      `person:${alice}`,
      'entry:role:admin',
      `person:${bob}`,
    ]);
    expect(approverRooms(alice, ['group:finance'], {})).toEqual([]);
    // A record for a group the entries do not name reaches nobody.
    expect(approverRooms(alice, ['role:admin'], { finance: [bob] })).toEqual(['entry:role:admin']);
  });
});
