/** Human-readable by default; `--json` prints one JSON document on stdout for scripts. Progress goes to stderr. */
export class Output {
  constructor(private readonly json: boolean) {}

  result(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
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
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index])).join('  ').trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column] ?? '')))].join('\n');
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}
