/** The redaction marker Countersign stores in place of sensitive argument values. */
export const REDACTED = '[REDACTED]';

/** Arguments people look at first: money, who receives it, what is touched. */
const KEY_FACT =
  /(^|[._])(amount|total|price|sum|value|currency|recipients?|to|cc|bcc|payee|beneficiary|account|iban|target|destination|environment|env|table|database|host|service|recipient_count|count)$/i;

export interface ArgRow {
  path: string;
  value: unknown;
}

/** Flattens nested objects into dot paths; arrays of scalars stay one row (a list of recipients). */
export function flattenArgs(args: Record<string, unknown>, prefix = ''): ArgRow[] {
  const rows: ArgRow[] = [];
  for (const [key, value] of Object.entries(args)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0)
      rows.push(...flattenArgs(value as Record<string, unknown>, path));
    else rows.push({ path, value });
  }
  return rows;
}

export function isKeyFact(path: string): boolean {
  return KEY_FACT.test(path);
}

function humanKey(path: string): string {
  return path
    .split('.')
    .map((part) => part.replace(/[_-]+/g, ' '))
    .join(' › ');
}

function Value({ value }: { value: unknown }) {
  if (value === REDACTED) {
    return (
      <span className="redacted" title="Marked sensitive by the taxonomy: Countersign never stores or shows it">
        hidden (sensitive)
      </span>
    );
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    const items: unknown[] = value;
    if (items.every((item) => item === null || typeof item !== 'object')) {
      return (
        <ul className="value-list">
          {items.map((item, index) => (
            <li key={index}>
              <Value value={item} />
            </li>
          ))}
        </ul>
      );
    }
    return <code>{JSON.stringify(value)}</code>;
  }
  if (value === null) return <span className="muted">empty</span>;
  if (typeof value === 'object') return <code>{JSON.stringify(value)}</code>;
  if (typeof value === 'boolean') return <span>{value ? 'yes' : 'no'}</span>;
  if (typeof value === 'number') return <span className="number">{value.toLocaleString(undefined, { maximumFractionDigits: 20 })}</span>;
  return <span className="text-value">{typeof value === 'string' ? value : JSON.stringify(value)}</span>;
}

export function ArgsTable({ args }: { args: Record<string, unknown> }) {
  const rows = flattenArgs(args);
  if (rows.length === 0) return <p className="muted">The agent gave no arguments.</p>;
  return (
    <table className="args">
      <caption className="visually-hidden">The action&apos;s arguments</caption>
      <thead>
        <tr>
          <th scope="col">Argument</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.path} className={isKeyFact(row.path) ? 'key-fact' : undefined}>
            <th scope="row">{humanKey(row.path)}</th>
            <td>
              <Value value={row.value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
