import { type z } from 'zod';
import { DomainError } from './errors';
import { jsonPointer } from './i-json';

/** One zod issue as the refusal states it: the message, and the field it names (omitted for the whole input). */
export interface InputProblem {
  message: string;
  field?: string;
}

/** Turns the issue to report into its refusal; returning undefined falls back to `describeIssue`. */
export type ExplainIssue = (issue: z.core.$ZodIssue) => InputProblem | undefined;

/**
 * The one way input is parsed (ADR 0012): a zod schema at the transport (controller, Slack handler, job entry,
 * CLI) gives the service a typed value, or refuses with `invalid_request` naming the first bad field. An unknown
 * member (a strict object's) is reported before anything else; `explain` words a schema's own messages.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, explain?: ExplainIssue): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0];
  const problem = explain?.(issue) ?? describeIssue(issue);
  throw new DomainError('invalid_request', problem.message, problem.field === undefined ? undefined : { field: problem.field });
}

/** The default wording: `/a/b: message`, the field a JSON pointer (`/` and "body" for the input itself). */
export function describeIssue(issue: z.core.$ZodIssue): InputProblem {
  const pointer = issuePointer(issue);
  if (issue.code === 'unrecognized_keys') {
    const member = jsonPointer([...issue.path.map(segment), issue.keys[0]]);
    return { message: `unknown member ${JSON.stringify(issue.keys[0])}`, field: member };
  }
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return { message: `${pointer || 'body'}: ${message}`, field: pointer || '/' };
}

/** The issue's path as a JSON pointer ('' for the input itself). */
export function issuePointer(issue: z.core.$ZodIssue): string {
  return jsonPointer(issue.path.map(segment));
}

const segment = (part: PropertyKey): string | number => (typeof part === 'symbol' ? String(part) : part);
