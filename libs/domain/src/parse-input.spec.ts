import { z } from 'zod';
import { DomainError } from './errors';
import { parseInput } from './parse-input';

const schema = z.strictObject({ name: z.string().max(3), nested: z.object({ count: z.number().int() }).optional() });

function refusal(run: () => unknown): { message: string; details: Record<string, unknown> | undefined } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.code).toBe('invalid_request');
    return { message: error.message, details: error.details };
  }
  throw new Error('expected a refusal');
}

describe('parseInput (the one way input is parsed, ADR 0012)', () => {
  it("returns the schema's typed output", () => {
    expect(parseInput(schema, { name: 'abc', nested: { count: 2 } })).toEqual({ name: 'abc', nested: { count: 2 } });
  });

  it('names the field by JSON pointer, and a missing one as required', () => {
    expect(refusal(() => parseInput(schema, { name: 'abc', nested: { count: 1.5 } }))).toEqual({
      message: expect.stringMatching(/^\/nested\/count: /) as string,
      details: { field: '/nested/count' },
    });
    expect(refusal(() => parseInput(schema, {}))).toEqual({ message: '/name: is required', details: { field: '/name' } });
    expect(refusal(() => parseInput(schema, 'text')).details).toEqual({ field: '/' });
  });

  it('reports an unknown member before any other problem', () => {
    expect(refusal(() => parseInput(schema, { name: 7, extra: true }))).toEqual({
      message: 'unknown member "extra"',
      details: { field: '/extra' },
    });
  });

  it("words the problem the caller's way, falling back to the default when it declines", () => {
    const explain = (issue: z.core.$ZodIssue) => (issue.path[0] === 'name' ? { message: 'name must be short', field: 'name' } : undefined);
    expect(refusal(() => parseInput(schema, { name: 'long' }, explain))).toEqual({
      message: 'name must be short',
      details: { field: 'name' },
    });
    expect(refusal(() => parseInput(schema, { name: 'a', nested: {} }, explain)).details).toEqual({ field: '/nested/count' });
    expect(refusal(() => parseInput(schema, [], () => ({ message: 'the body must be a JSON object' })))).toEqual({
      message: 'the body must be a JSON object',
      details: undefined,
    });
  });
});
