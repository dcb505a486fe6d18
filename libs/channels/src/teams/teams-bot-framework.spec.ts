import { PermanentJobError, RetryLaterError } from '@countersign/queue';
import { connectorFailure } from './teams-bot-framework';

/** A Bot Connector failure as botbuilder's client throws it (a RestError with the response's status and headers). */
const restError = (statusCode: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`status ${statusCode}`), { statusCode, response: { status: statusCode, headers: new Headers(headers) } });

describe("the Bot Connector's failures as the job's", () => {
  it('401, 403, 404 and 400 do not retry; 429 waits as Retry-After says; 5xx and network errors retry with backoff', () => {
    for (const status of [400, 401, 403, 404]) expect(connectorFailure(restError(status))).toBeInstanceOf(PermanentJobError);
    const limited = connectorFailure(restError(429, { 'retry-after': '7' }));
    expect(limited).toBeInstanceOf(RetryLaterError);
    expect((limited as RetryLaterError).delayMs).toBe(7000);
    expect((connectorFailure(restError(429)) as RetryLaterError).delayMs).toBe(30_000);
    for (const error of [restError(500), restError(503), new Error('ECONNRESET')]) {
      const mapped = connectorFailure(error);
      expect(mapped).not.toBeInstanceOf(PermanentJobError);
      expect(mapped).not.toBeInstanceOf(RetryLaterError);
    }
  });
});
