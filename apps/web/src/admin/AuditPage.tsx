import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, errorMessage } from '../api';
import { formatDateTime } from '../format';
import { type AuditEvent, type AuditPage as AuditEventsPage, type ChainCheck } from './admin-api';
import { ErrorNote } from './parts';
import { useAction } from '../use-action';

const PAGE = 50;
const FILTERS = [
  { key: 'type', label: 'Event type', placeholder: 'agent.suspended' },
  { key: 'subject_id', label: 'Subject id', placeholder: 'an approval, agent or person id' },
  { key: 'actor_id', label: 'Actor id', placeholder: 'a person id or agent client id' },
] as const;
const PROBLEMS: Record<string, string> = {
  hash_mismatch: 'its contents no longer match its hash (the row was edited)',
  prev_hash_mismatch: 'it does not point at the event before it (an event was replaced or removed)',
  sequence_gap: 'a sequence number is missing (an event was removed)',
};

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = (before?: string) => {
    const search = new URLSearchParams();
    for (const { key } of FILTERS) {
      const value = params.get(key);
      if (value) search.set(key, value);
    }
    search.set('limit', String(PAGE));
    if (before) search.set('before', before);
    return `/v1/admin/audit?${search.toString()}`;
  };
  const paramsKey = params.toString();

  const load = useCallback(
    async (before?: string) => {
      setError(null);
      try {
        const page = await api.get<AuditEventsPage>(query(before));
        setEvents((current) => (before && current ? [...current, ...page.events] : page.events));
        setNext(page.next_before);
      } catch (caught) {
        setError(errorMessage(caught));
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [paramsKey],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const filter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const search = new URLSearchParams();
    for (const { key } of FILTERS) {
      const entry = data.get(key);
      const value = typeof entry === 'string' ? entry.trim() : '';
      if (value) search.set(key, value);
    }
    setParams(search);
  };

  return (
    <section className="page" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <ChainVerification />
      <form className="card filter-form" onSubmit={filter} aria-label="Filter the audit log" key={paramsKey}>
        {FILTERS.map(({ key, label, placeholder }) => (
          <label key={key}>
            {label}
            <input name={key} defaultValue={params.get(key) ?? ''} placeholder={placeholder} autoComplete="off" />
          </label>
        ))}
        <div className="filter-actions">
          <button type="submit" className="button primary">
            Search
          </button>
          <button type="button" className="button" onClick={() => setParams(new URLSearchParams())}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote message={error} />
      {events && (
        <div className="card">
          {events.length === 0 ? (
            <p role="status">No events match.</p>
          ) : (
            <ol className="audit-list" aria-label="Audit events, newest first">
              {events.map((event) => (
                <li key={event.seq} className="audit-event">
                  <div className="audit-head">
                    <span className="mono audit-seq">#{event.seq}</span>
                    <strong className="mono">{event.type}</strong>
                    <span className="muted small">{formatDateTime(event.occurredAt)}</span>
                  </div>
                  <div className="small">
                    by {event.actorType}
                    {event.actorId && <span className="mono"> {event.actorId}</span>}
                    {event.subjectId && (
                      <>
                        {' '}
                        · on {event.subjectType} <span className="mono">{event.subjectId}</span>
                      </>
                    )}
                  </div>
                  {Object.keys(event.data).length > 0 && (
                    <details>
                      <summary>Data</summary>
                      <pre className="audit-data">{JSON.stringify(event.data, null, 2)}</pre>
                    </details>
                  )}
                </li>
              ))}
            </ol>
          )}
          {next && (
            <button type="button" className="button" onClick={() => void load(next)}>
              Older events
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/** Walks the whole chain on request (it reads every event, so it is not run on every visit). */
function ChainVerification() {
  const [result, setResult] = useState<ChainCheck | null>(null);
  const { busy, error, run } = useAction();
  const verify = () => run(async () => setResult(await api.get<ChainCheck>('/v1/admin/audit/verify')));
  return (
    <div className={`card chain ${result ? (result.ok ? 'chain-ok' : 'chain-broken') : ''}`}>
      <h2>Hash chain</h2>
      <p className="muted">
        Every event is chained to the one before it; an edited, removed or replaced event breaks the chain from there on.
      </p>
      <div role="status">
        {result?.ok && (
          <p>
            <strong>Intact.</strong> All {result.checked} events verified, {formatDateTime(result.verified_at)}.
          </p>
        )}
        {result && !result.ok && result.broken && (
          <p>
            <strong>Broken at event #{result.broken.seq}:</strong> {PROBLEMS[result.broken.problem] ?? result.broken.problem}.{' '}
            {result.checked} events before it verified.
          </p>
        )}
      </div>
      <ErrorNote message={error} />
      <button type="button" className="button" onClick={() => void verify()} disabled={busy}>
        {busy ? 'Verifying…' : result ? 'Verify again' : 'Verify the chain'}
      </button>
    </div>
  );
}
