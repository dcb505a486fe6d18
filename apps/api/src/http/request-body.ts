import { DomainError } from '@countersign/domain';

/** Admin request bodies: a JSON object with only the named members; typed accessors that name the bad field. */
export class RequestBody {
  private constructor(private readonly value: Record<string, unknown>) {}

  static of(body: unknown, allowed: readonly string[]): RequestBody {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new DomainError('invalid_request', 'the body must be a JSON object');
    const unknown = Object.keys(body).find((key) => !allowed.includes(key));
    if (unknown !== undefined)
      throw new DomainError('invalid_request', `unknown member ${JSON.stringify(unknown)} (allowed: ${allowed.join(', ')})`, {
        field: unknown,
      });
    return new RequestBody(body as Record<string, unknown>);
  }

  string(key: string): string;
  string(key: string, optional: true): string | undefined;
  string(key: string, optional = false): string | undefined {
    const value = this.value[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string') throw new DomainError('invalid_request', `${key} must be a string`, { field: key });
    return value;
  }

  strings(key: string): string[] | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
      throw new DomainError('invalid_request', `${key} must be an array of strings`, { field: key });
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw new DomainError('invalid_request', `${key} must be true or false`, { field: key });
    return value;
  }

  /** undefined when absent, null when explicitly null (a quota back to the default). */
  positiveIntegerOrNull(key: string): number | null | undefined {
    const value = this.value[key];
    if (value === undefined || value === null) return value;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new DomainError('invalid_request', `${key} must be a positive integer or null`, { field: key });
    return value;
  }
}
