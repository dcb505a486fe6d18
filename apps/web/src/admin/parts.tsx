import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { errorMessage } from '../api';

/** Loads on mount and on `reload()`; keeps the last good value while reloading. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[] = [],
): { data: T | undefined; error: string | null; reload: () => Promise<void> } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const loader = useRef(load);
  useEffect(() => {
    loader.current = load;
  });
  const reload = useCallback(async () => {
    try {
      setData(await loader.current());
      setError(null);
    } catch (caught) {
      setError(errorMessage(caught));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

export function ErrorNote({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

/** Copies `value`; says so for screen readers too. Falls back to selecting the text when the clipboard is refused. */
export function CopyButton({ value, label, targetId }: { value: string; label: string; targetId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'select'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      const target = targetId ? document.getElementById(targetId) : null;
      if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) target.select();
      setState('select');
    }
    window.setTimeout(() => setState('idle'), 4000);
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void copy()}>
        {label}
      </button>
      <span className="copy-status" role="status">
        {state === 'copied' ? 'Copied.' : state === 'select' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
      </span>
    </>
  );
}

/** A value to copy: a read-only field (selectable, readable by screen readers) and a copy button. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input id={id} className="mono" readOnly value={value} onFocus={(event) => event.currentTarget.select()} />
        <CopyButton value={value} label={`Copy ${label.toLowerCase()}`} targetId={id} />
      </div>
    </div>
  );
}

/**
 * Client credentials just created (an agent's, a resource server's): the secret is in this page's state only and
 * never fetched again, so the card says so until the admin dismisses it.
 */
export function SecretCard({
  title,
  clientId,
  secret,
  why,
  onDone,
}: {
  title: string;
  clientId: string;
  secret: string;
  why: string;
  onDone: () => void;
}) {
  const titleId = useId();
  return (
    <div className="card secret-card" role="region" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <p className="warning-text">
        <strong>Copy the client secret now: it is shown this once.</strong> {why}
      </p>
      <CopyField label="Client ID" value={clientId} />
      <CopyField label="Client secret" value={secret} />
      <button type="button" className="button" onClick={onDone}>
        I have stored the secret
      </button>
    </div>
  );
}

/** A modal dialog (the browser's <dialog>: focus is trapped, Escape closes it). */
export function Dialog({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="admin-dialog" aria-labelledby={titleId} onClose={onClose}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

export interface Bar {
  label: string;
  value: number;
  /** A CSS class giving the bar its colour (outcome-approved, tier-high, …). */
  tone?: string;
}

/**
 * A horizontal bar chart in SVG: labelled as an image with every value in its description, and the same numbers
 * as a table for those who would rather read (or cannot see the bars).
 */
export function BarChart({ title, bars, unit = '' }: { title: string; bars: Bar[]; unit?: string }) {
  const id = useId();
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  // Sized so a chart in half the console's width draws its text at about its CSS size.
  const row = 30;
  const labelWidth = 100;
  const chartWidth = 220;
  const height = bars.length * row + 4;
  const description = bars.map((bar) => `${bar.label}: ${bar.value}${unit}`).join(', ');
  return (
    <figure className="bar-chart">
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <svg
        viewBox={`0 0 ${labelWidth + chartWidth + 44} ${height}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        preserveAspectRatio="xMinYMin meet"
      >
        <desc id={`${id}-desc`}>{description}</desc>
        {bars.map((bar, index) => {
          const y = index * row + 4;
          const width = bar.value === 0 ? 0 : Math.max(3, (bar.value / max) * chartWidth);
          return (
            <g key={bar.label} aria-hidden="true">
              <text x={labelWidth - 8} y={y + 17} textAnchor="end" className="bar-label">
                {bar.label}
              </text>
              <rect x={labelWidth} y={y + 2} width={chartWidth} height={row - 10} className="bar-track" rx="3" />
              <rect x={labelWidth} y={y + 2} width={width} height={row - 10} className={`bar ${bar.tone ?? ''}`} rx="3" />
              <text x={labelWidth + width + 6} y={y + 17} className="bar-value">
                {bar.value}
                {unit}
              </text>
            </g>
          );
        })}
      </svg>
      <details className="as-table">
        <summary>Show as a table</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.label}>
                <th scope="row">{bar.label}</th>
                <td>
                  {bar.value}
                  {unit}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status-badge status-${status}`}>{status}</span>;
}
