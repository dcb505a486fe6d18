/**
 * Human-readable by default; `--json` prints one JSON document on stdout for scripts, in the agent API's naming
 * (snake_case keys). Progress goes to stderr.
 */
export class Output {
  constructor(private readonly json: boolean) {}

  result(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? JSON.stringify(snakeCaseKeys(value), null, 2) + '\n' : human() + '\n');
  }

  /** Something the operator must act on or know, even with --json (stderr, so scripts' stdout stays parseable). */
  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }

  progress(message: string): void {
    if (!this.json && process.stderr.isTTY) process.stderr.write(`\r${message}`);
  }

  progressDone(): void {
    if (!this.json && process.stderr.isTTY) process.stderr.write('\n');
  }
}

export function table(rows: Array<Record<string, string>>): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index]))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column] ?? '')))].join('\n');
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Keys whose values are someone's data (an action's arguments, counts keyed by a tier move): kept as they are. */
const DATA_KEYS = new Set(['args', 'moves']);

/** The services' views are camelCase; the CLI's JSON follows the HTTP agent API: `clientId` → `client_id`. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
      DATA_KEYS.has(key) ? item : snakeCaseKeys(item),
    ]),
  );
}

/** A command's own refusal, with its code and the lines that explain it (printed without a stack, or as JSON). */
export class CommandFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}
