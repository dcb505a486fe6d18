import { type z } from 'zod';
import { type ExplainIssue } from '@countersign/domain';
import { parseBody } from './parse';

/**
 * The admin API's bodies, parsed with the shared helper; the admin API names the member at fault by its name
 * (`field: "status"`, not a JSON pointer), as its clients and the console have always read it.
 */
export function parseAdminBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return parseBody(schema, body, byMemberName);
}

const byMemberName: ExplainIssue = (issue) => {
  const unknown = issue.code === 'unrecognized_keys';
  const field = (unknown ? [...issue.path, issue.keys[0]] : issue.path).map(String).join('.');
  if (unknown) return { message: `unknown member ${JSON.stringify(issue.keys[0])}`, field };
  if (field === '') return { message: 'the body must be a JSON object' };
  return { message: `${field}: ${issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message}`, field };
};
