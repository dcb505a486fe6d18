import { type PipeTransform } from '@nestjs/common';
import { type z } from 'zod';
import { type ExplainIssue, parseInput } from '@countersign/domain';

/**
 * The HTTP transport's one way to parse a body, query or header (ADR 0012): `parseBody(schema, body)` returns the
 * schema's typed output or throws `DomainError('invalid_request', <message naming the field>, {field})`, which
 * the problem filter answers as a 400. The schema lives beside the service it feeds.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, explain?: ExplainIssue): z.output<S> {
  return parseInput(schema, body, explain);
}

/** The same as a Nest pipe: `@Body(new ParsedBy(schema)) body: z.output<typeof schema>`. */
export class ParsedBy<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly explain?: ExplainIssue,
  ) {}

  transform(value: unknown): z.output<S> {
    return parseInput(this.schema, value, this.explain);
  }
}
