import { type FormEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { api, errorMessage } from '../api';
import { formatDateTime } from '../format';
import { type LintFinding, postYaml, type TaxonomyCheck, type TaxonomyDiff, TaxonomyRefused, type TaxonomyVersion } from './admin-api';
import { Dialog, ErrorNote, useLoad } from './parts';

const LINE_HEIGHT = 20;

type Result =
  | { kind: 'checked'; check: TaxonomyCheck }
  | { kind: 'refused'; message: string; errors: LintFinding[] }
  | { kind: 'applied'; version: number; warnings: LintFinding[]; tests: { total: number; passed: number } };

export function TaxonomyPage() {
  const versions = useLoad(() => api.get<TaxonomyVersion[]>('/v1/admin/taxonomy/versions'));
  const active = versions.data?.find((version) => version.active) ?? null;
  const [source, setSource] = useState<string | null>(null);
  const [loadedFrom, setLoadedFrom] = useState<number | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);

  const open = async (version: number) => {
    setError(null);
    try {
      const record = await api.get<TaxonomyVersion>(`/v1/admin/taxonomy/versions/${version}`);
      setSource(record.source ?? '');
      setLoadedFrom(version);
      setResult(null);
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };

  useEffect(() => {
    if (source === null && active) void open(active.version);
    // Only the first time the active version is known: later reloads must not overwrite an edit.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active?.version]);

  const check = async () => {
    if (source === null) return;
    setBusy(true);
    setError(null);
    try {
      setResult({ kind: 'checked', check: await postYaml<TaxonomyCheck>('/v1/admin/taxonomy/lint', source) });
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const apply = async (event: FormEvent) => {
    event.preventDefault();
    if (source === null) return;
    setBusy(true);
    setError(null);
    try {
      const query = comment.trim() ? `?comment=${encodeURIComponent(comment.trim())}` : '';
      const applied = await postYaml<{ version: number; warnings: LintFinding[]; tests: { total: number; passed: number } }>(`/v1/admin/taxonomy/versions${query}`, source);
      setResult({ kind: 'applied', ...applied });
      setLoadedFrom(applied.version);
      setComment('');
      await versions.reload();
    } catch (caught) {
      if (caught instanceof TaxonomyRefused && caught.errors.length > 0) setResult({ kind: 'refused', message: caught.message, errors: caught.errors });
      else setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const jumpTo = (line: number) => {
    const area = editor.current;
    if (!area || source === null) return;
    const lines = source.split('\n');
    const target = Math.min(Math.max(line, 1), lines.length);
    const start = lines.slice(0, target - 1).reduce((sum, text) => sum + text.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + lines[target - 1].length);
    area.scrollTop = Math.max(0, (target - 1) * LINE_HEIGHT - area.clientHeight / 3);
  };

  const findings = result?.kind === 'checked' ? result.check.lint.findings : result?.kind === 'refused' ? result.errors : result?.kind === 'applied' ? result.warnings : [];
  const errorLines = new Set(findings.filter((finding) => finding.severity === 'error').map((finding) => finding.line));

  return (
    <section className="page" aria-labelledby="taxonomy-title">
      <h1 id="taxonomy-title">Taxonomy</h1>
      <p className="muted">
        The rules that decide each action’s risk tier.{' '}
        {active ? (
          <>
            Version <strong>{active.version}</strong> is active
            {loadedFrom !== null && loadedFrom !== active.version ? `; the editor holds version ${loadedFrom}` : ''}.
          </>
        ) : (
          'Loading the active version…'
        )}
      </p>
      <ErrorNote message={error ?? versions.error} />
      <form className="card editor-card" onSubmit={(event) => void apply(event)} aria-labelledby="editor-title">
        <h2 id="editor-title">Edit</h2>
        {source === null ? (
          <p className="loading" role="status">
            Loading…
          </p>
        ) : (
          <CodeEditor
            value={source}
            onChange={(value) => {
              setSource(value);
            }}
            errorLines={errorLines}
            textarea={editor}
          />
        )}
        <Findings result={result} onJump={jumpTo} />
        <div className="editor-actions">
          <button type="button" className="button" onClick={() => void check()} disabled={busy || source === null}>
            Check
          </button>
          <label className="inline-field grow">
            Comment <span className="muted">(optional)</span>
            <input value={comment} onChange={(event) => setComment(event.target.value)} maxLength={500} />
          </label>
          <button type="submit" className="button primary" disabled={busy || source === null}>
            Apply as a new version
          </button>
        </div>
        <p className="hint-inline">Apply runs the same checks and the file’s own tests; a file with errors is refused and nothing changes.</p>
      </form>

      <Versions versions={versions.data ?? []} onOpen={open} onChanged={versions.reload} />
      {versions.data && versions.data.length > 0 && <DiffPanel versions={versions.data} />}
    </section>
  );
}

function CodeEditor({ value, onChange, errorLines, textarea }: { value: string; onChange: (value: string) => void; errorLines: Set<number>; textarea: React.RefObject<HTMLTextAreaElement | null> }) {
  const gutter = useRef<HTMLDivElement>(null);
  const count = useMemo(() => value.split('\n').length, [value]);
  return (
    <div className="code-editor" style={{ ['--line-height' as string]: `${LINE_HEIGHT}px` }}>
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: count }, (_, index) => (
          <span key={index} className={errorLines.has(index + 1) ? 'gutter-error' : undefined}>
            {index + 1}
          </span>
        ))}
      </div>
      <textarea
        ref={textarea}
        aria-label="Taxonomy file (YAML)"
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        onScroll={(event) => {
          if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
        }}
        onKeyDown={(event) => {
          // Tab indents (two spaces, as YAML wants); Escape then Tab leaves the editor.
          if (event.key === 'Tab' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && event.currentTarget.dataset.escaped !== '1') {
            event.preventDefault();
            const area = event.currentTarget;
            const { selectionStart, selectionEnd } = area;
            onChange(value.slice(0, selectionStart) + '  ' + value.slice(selectionEnd));
            requestAnimationFrame(() => area.setSelectionRange(selectionStart + 2, selectionStart + 2));
          }
          event.currentTarget.dataset.escaped = event.key === 'Escape' ? '1' : '0';
        }}
      />
    </div>
  );
}

function Findings({ result, onJump }: { result: Result | null; onJump: (line: number) => void }) {
  if (!result) return null;
  const list = (findings: LintFinding[]) => (
    <ul className="findings">
      {findings.map((finding, index) => (
        <li key={index} className={`finding finding-${finding.severity}`}>
          <button type="button" className="line-link" onClick={() => onJump(finding.line)}>
            Line {finding.line}
            {finding.column > 1 ? `, column ${finding.column}` : ''}
          </button>{' '}
          <span className="finding-severity">{finding.severity}:</span> {finding.message}
          {finding.path && <span className="mono small muted"> ({finding.path})</span>}
        </li>
      ))}
    </ul>
  );
  switch (result.kind) {
    case 'refused':
      return (
        <div className="result result-error" role="alert">
          <h3>Not applied: the file has {result.errors.length === 1 ? 'an error' : `${result.errors.length} errors`}. Nothing changed.</h3>
          {list(result.errors)}
        </div>
      );
    case 'checked': {
      const { lint, tests } = result.check;
      const failing = tests?.failures ?? [];
      const ok = lint.errors === 0 && failing.length === 0;
      return (
        <div className={`result ${ok ? 'result-ok' : 'result-error'}`} role={ok ? 'status' : 'alert'}>
          <h3>
            {lint.errors === 0 ? 'No errors' : `${lint.errors} error${lint.errors === 1 ? '' : 's'}`}, {lint.warnings} warning{lint.warnings === 1 ? '' : 's'}
            {tests ? `; tests: ${tests.passed} of ${tests.total} pass` : '; its tests cannot run until the errors are fixed'}.
          </h3>
          {list(lint.findings)}
          {failing.length > 0 && (
            <ul className="findings">
              {failing.map((failure) => (
                <li key={failure.name} className="finding finding-error">
                  {failure.line ? (
                    <button type="button" className="line-link" onClick={() => onJump(failure.line ?? 1)}>
                      Line {failure.line}
                    </button>
                  ) : null}{' '}
                  test “{failure.name}” fails on {failure.mismatches.join(', ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      );
    }
    case 'applied':
      return (
        <div className="result result-ok" role="status">
          <h3>
            Version {result.version} is now active ({result.tests.passed} of {result.tests.total} tests pass).
          </h3>
          {result.warnings.length > 0 && list(result.warnings)}
        </div>
      );
  }
}

function Versions({ versions, onOpen, onChanged }: { versions: TaxonomyVersion[]; onOpen: (version: number) => Promise<void>; onChanged: () => Promise<void> }) {
  const [activating, setActivating] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const activate = async (event: FormEvent) => {
    event.preventDefault();
    if (activating === null) return;
    setError(null);
    try {
      const answer = await api.post<{ version: number; previousVersion: number | null }>(`/v1/admin/taxonomy/versions/${activating}/activate`, { reason: reason.trim() });
      setNotice(`Version ${answer.version} is active (was ${answer.previousVersion ?? 'none'}).`);
      setActivating(null);
      setReason('');
      await onChanged();
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  return (
    <div className="card">
      <h2 id="versions-title">Versions</h2>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="table-scroll">
        <table className="data stack" aria-labelledby="versions-title">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">By</th>
              <th scope="col">Comment</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.version} className={version.active ? 'active-row' : undefined}>
                <td>
                  {version.version} {version.active && <span className="status-badge status-active">active</span>}
                </td>
                <td data-label="By" className="small">
                  {version.createdBy}
                </td>
                <td data-label="Comment">{version.comment ?? '—'}</td>
                <td data-label="Created">{formatDateTime(version.createdAt)}</td>
                <td>
                  <div className="row-actions">
                    <button type="button" className="button small-button" onClick={() => void onOpen(version.version)} aria-label={`Open version ${version.version} in the editor`}>
                      Open
                    </button>
                    {!version.active && (
                      <button type="button" className="button small-button" onClick={() => setActivating(version.version)} aria-label={`Activate version ${version.version}`}>
                        Activate…
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog open={activating !== null} title={`Activate version ${activating ?? ''}?`} onClose={() => setActivating(null)}>
        <form onSubmit={(event) => void activate(event)}>
          <p>New requests are classified with it at once. Approvals already made keep the version they were classified with.</p>
          <label>
            Reason <span className="muted">(required, kept in the audit log)</span>
            <textarea required value={reason} onChange={(event) => setReason(event.target.value)} rows={3} />
          </label>
          <ErrorNote message={error} />
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setActivating(null)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={reason.trim() === ''}>
              Activate
            </button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}

function DiffPanel({ versions }: { versions: TaxonomyVersion[] }) {
  const active = versions.find((version) => version.active) ?? versions[0];
  const older = versions.find((version) => version.version !== active.version) ?? active;
  const [from, setFrom] = useState(older.version);
  const [to, setTo] = useState(active.version);
  const [diff, setDiff] = useState<TaxonomyDiff | null>(null);
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  const show = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setDiff(await api.get<TaxonomyDiff>(`/v1/admin/taxonomy/diff?from=${from}&to=${to}`));
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  const select = (value: number, set: (value: number) => void, label: string, id: string) => (
    <span className="inline-field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => set(Number(event.target.value))}>
        {versions.map((version) => (
          <option key={version.version} value={version.version}>
            {version.version}
            {version.active ? ' (active)' : ''}
          </option>
        ))}
      </select>
    </span>
  );
  return (
    <div className="card">
      <h2>Compare versions</h2>
      <form className="diff-form" onSubmit={(event) => void show(event)}>
        {select(from, setFrom, 'From version', `${id}-from`)}
        {select(to, setTo, 'To version', `${id}-to`)}
        <button type="submit" className="button">
          Show what changed
        </button>
      </form>
      <ErrorNote message={error} />
      {diff && <DiffView diff={diff} />}
    </div>
  );
}

function DiffView({ diff }: { diff: TaxonomyDiff }) {
  const { summary } = diff;
  const nothing = diff.actions.length === 0 && diff.tiers.length === 0 && diff.matrix.length === 0 && !diff.unknown_action && diff.trusted_provenance.added.length === 0 && diff.trusted_provenance.removed.length === 0;
  if (nothing) return <p role="status">No change in meaning between these versions.</p>;
  return (
    <div className="diff" role="status">
      <p>
        {summary.actions_added} action types added, {summary.actions_removed} removed, {summary.actions_changed} changed; {summary.rules_added} rules added, {summary.rules_removed} removed, {summary.rules_changed} changed.{' '}
        <strong>
          {summary.tiers_up} tier{summary.tiers_up === 1 ? '' : 's'} up, {summary.tiers_down} down.
        </strong>
      </p>
      <ul className="diff-list">
        {diff.unknown_action && <li>Unknown actions: {tierMove(diff.unknown_action)}</li>}
        {diff.trusted_provenance.added.length > 0 && <li>Provenance now trusted: {diff.trusted_provenance.added.join(', ')}</li>}
        {diff.trusted_provenance.removed.length > 0 && <li>Provenance no longer trusted: {diff.trusted_provenance.removed.join(', ')}</li>}
        {diff.tiers.map((tier) => (
          <li key={tier.tier}>
            Tier <strong>{tier.tier}</strong> ({tier.strictness}): {fields(tier.fields)}
          </li>
        ))}
        {diff.matrix.map((cell) => (
          <li key={`${cell.reversibility}-${cell.blast_radius}`}>
            Matrix {cell.reversibility} × {cell.blast_radius}: {tierMove(cell.tier)}
          </li>
        ))}
        {diff.actions.map((action) => (
          <li key={action.type} className={`diff-${action.change}`}>
            <span className="mono">{action.type}</span> {action.change}
            {action.tier.move !== 'unchanged' ? ` — ${tierMove(action.tier)}` : ''}
            {action.fields.length > 0 ? `: ${fields(action.fields)}` : ''}
            {action.rules.length > 0 && (
              <ul>
                {action.rules.map((rule) => (
                  <li key={rule.rule}>
                    rule “{rule.rule}” {rule.change}
                    {rule.tier.move !== 'unchanged' ? ` — ${tierMove(rule.tier)}` : ''}
                    {rule.fields.length > 0 ? `: ${fields(rule.fields)}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function tierMove(change: { before: string | null; after: string | null; move: string }): string {
  return `${change.before ?? 'none'} → ${change.after ?? 'none'}${change.move === 'up' ? ' (stricter)' : change.move === 'down' ? ' (more lenient)' : ''}`;
}

function fields(changes: Array<{ field: string; before: unknown; after: unknown }>): string {
  return changes.map((change) => `${change.field} ${JSON.stringify(change.before) ?? 'unset'} → ${JSON.stringify(change.after) ?? 'unset'}`).join('; ');
}
