// The taxonomy tab of the admin console: edit, check and apply a file; its parts are beside it.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../../api';
import {
  type AppliedTaxonomy,
  postYaml,
  type TaxonomyCheck,
  TaxonomyRefused,
  type TaxonomyVersion,
  type TaxonomyVersionSummary,
} from '../admin-api';
import { ErrorNote, useLoad } from '../parts';
import { CodeEditor, Findings, LINE_HEIGHT, type Result } from './editor';
import { Versions } from './versions';
import { DiffPanel } from './diff';

export function TaxonomyPage() {
  const versions = useLoad(() => api.get<TaxonomyVersionSummary[]>('/v1/admin/taxonomy/versions'));
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
      const applied = await postYaml<AppliedTaxonomy>(`/v1/admin/taxonomy/versions${query}`, source);
      setResult({ kind: 'applied', ...applied });
      setLoadedFrom(applied.version);
      setComment('');
      await versions.reload();
    } catch (caught) {
      if (caught instanceof TaxonomyRefused && caught.errors.length > 0)
        setResult({ kind: 'refused', message: caught.message, errors: caught.errors });
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

  const findings =
    result?.kind === 'checked'
      ? result.check.lint.findings
      : result?.kind === 'refused'
        ? result.errors
        : result?.kind === 'applied'
          ? result.warnings
          : [];
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
        <p className="hint-inline">
          Apply runs the same checks and the file’s own tests; a file with errors is refused and nothing changes.
        </p>
      </form>

      <Versions versions={versions.data ?? []} onOpen={open} onChanged={versions.reload} />
      {versions.data && versions.data.length > 0 && <DiffPanel versions={versions.data} />}
    </section>
  );
}
