import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage, type Inbox, type InboxItem } from '../api';
import { TierBadge } from '../components/TierBadge';
import { actionLabel, timeLeft, useTitle } from '../format';
import { useLiveApprovals, useNow } from '../live';

export function InboxPage() {
  useTitle('Inbox');
  const [items, setItems] = useState<InboxItem[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const now = useNow();

  const reload = useCallback(async () => {
    try {
      const page = await api.get<Inbox>('/v1/me/approvals');
      // A fresh first page (older pages loaded before are dropped: the list is newest first).
      setItems(page.approvals);
      setCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      setError(errorMessage(caught));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const connected = useLiveApprovals(
    (event) => {
      if (event.status !== 'pending') setItems((current) => current?.filter((item) => item.id !== event.id) ?? current);
      // New, or newly mine (escalated to me): read the list again through the API.
      else void reload();
    },
    () => void reload(),
  );

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.get<Inbox>(`/v1/me/approvals?cursor=${encodeURIComponent(cursor)}`);
      setItems((current) => [...(current ?? []), ...page.approvals.filter((item) => !current?.some((known) => known.id === item.id))]);
      setCursor(page.next_cursor);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setLoadingMore(false);
    }
  };

  const pending = items?.filter((item) => item.status === 'pending' && Date.parse(item.expires_at) > now - 60_000) ?? null;

  return (
    <section className="page inbox">
      <div className="page-title">
        <h1>Inbox</h1>
        <span className={`live-dot ${connected ? 'on' : 'off'}`} role="status">
          {connected ? 'Live' : 'Connecting…'}
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {pending === null && !error && <p role="status">Loading your approvals…</p>}
      {pending?.length === 0 && (
        <div className="empty">
          <h2>Nothing waits for you</h2>
          <p>
            Countersign is watching what your agents ask to do. Low-risk actions go through on their own; when one needs you, it appears
            here at once, and on your phone if you enabled notifications in Settings.
          </p>
        </div>
      )}
      {pending && pending.length > 0 && (
        <ul className="approval-list" aria-label="Approvals waiting for you">
          {pending.map((item) => {
            const left = timeLeft(item.expires_at, now);
            return (
              <li key={item.id}>
                <Link to={`/approvals/${item.id}`} className="approval-row">
                  <span className="row-top">
                    <TierBadge tier={item.tier} />
                    <span className={`time-left ${left === 'expired' ? 'expired' : ''}`}>{left}</span>
                  </span>
                  <span className="row-action">{actionLabel(item.action.type)}</span>
                  <span className="row-resource">{item.action.resource}</span>
                  <span className="row-meta">
                    Agent <strong>{item.agent.name}</strong> for{' '}
                    <strong>{item.on_behalf_of.display_name || item.on_behalf_of.email}</strong>
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Show older approvals'}
        </button>
      )}
    </section>
  );
}
