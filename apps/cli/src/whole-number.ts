import { InvalidArgumentError } from 'commander';

/** The largest value a PostgreSQL `integer` column holds (agents' quotas). */
export const INTEGER_COLUMN_MAX = 2_147_483_647;

/**
 * The parser of a numeric option: decimal digits only, from `min` to `max`. `1e3`, `-5`, `1.5`, `0x10` or `abc` are
 * usage errors (commander names the option; the exit code is 1) rather than numbers `Number()` would let through.
 */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
    if (!(number >= min && number <= max)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return number;
  };
}
