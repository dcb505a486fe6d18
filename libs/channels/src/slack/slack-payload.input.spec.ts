import { DomainError } from '@countersign/domain';
import { checkSlackPayload, parseSlackPayload } from './slack-payload.input';

describe('Slack payloads at the edge', () => {
  it('reads an interaction form (payload=JSON), an Events API JSON body and a slash command form', () => {
    const click = { type: 'block_actions', api_app_id: 'A1', user: { id: 'U1', team_id: 'T1' }, extra: { kept: true } };
    expect(parseSlackPayload(`payload=${encodeURIComponent(JSON.stringify(click))}`)).toEqual(click);
    const event = { type: 'event_callback', api_app_id: 'A1', team_id: 'T1', event: { type: 'app_home_opened', user: 'U1' } };
    expect(parseSlackPayload(JSON.stringify(event))).toEqual(event);
    expect(parseSlackPayload('command=%2Fcountersign&text=&user_id=U1&team_id=T1&api_app_id=A1')).toEqual({
      command: '/countersign',
      text: '',
      user_id: 'U1',
      team_id: 'T1',
      api_app_id: 'A1',
    });
  });

  it('refuses a payload that is not JSON, a member of the wrong type, and U+0000 anywhere, naming where', () => {
    expect(() => parseSlackPayload('payload=%7Bnot-json')).toThrow(/not JSON/);
    expect(() => checkSlackPayload({ type: 'block_actions', user: { id: 42 } })).toThrow(DomainError);
    const nul = () =>
      checkSlackPayload({ type: 'view_submission', view: { state: { values: { reason: { reason: { value: 'a\u0000b' } } } } } });
    expect(nul).toThrow(DomainError);
    expect(nul).toThrow(/U\+0000 \(NUL\) at \/view\/state\/values\/reason\/reason\/value/);
  });
});
