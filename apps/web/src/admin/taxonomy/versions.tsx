// Stored versions: open one in the editor, activate one with a reason.
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api';
import { formatDateTime } from '../../format';
import { type ActivatedTaxonomy, type TaxonomyVersionSummary } from '../admin-api';
import { Dialog, ErrorNote } from '../parts';

export function Versions({
  versions,
  onOpen,
  onChanged,
}: {
  versions: TaxonomyVersionSummary[];
  onOpen: (version: number) => Promise<void>;
  onChanged: () => Promise<void>;
}) {
  const [activating, setActivating] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const activate = async (event: FormEvent) => {
    event.preventDefault();
    if (activating === null) return;
    setError(null);
    try {
      const answer = await api.post<ActivatedTaxonomy>(`/v1/admin/taxonomy/versions/${activating}/activate`, { reason: reason.trim() });
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
                    <button
                      type="button"
                      className="button small-button"
                      onClick={() => void onOpen(version.version)}
                      aria-label={`Open version ${version.version} in the editor`}
                    >
                      Open
                    </button>
                    {!version.active && (
                      <button
                        type="button"
                        className="button small-button"
                        onClick={() => setActivating(version.version)}
                        aria-label={`Activate version ${version.version}`}
                      >
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
