import { useState } from 'react';
import { api, errorMessage } from '../api';
import { type GroupDetail, type Groups, type GroupSummary, splitList } from './admin-api';
import { ErrorNote, useLoad } from './parts';

/**
 * The directory's groups (provisioned over SCIM) and the permissions each gives its members: an agent acting for a
 * member may request what the member's own permissions or any of their groups' allow.
 */
export function GroupsPage() {
  const { data, error, reload } = useLoad(() => api.get<Groups>('/v1/admin/groups'));
  const [editing, setEditing] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const save = async (group: GroupSummary, permissions: string[]) => {
    setActionError(null);
    try {
      const updated = await api.put<GroupDetail>(`/v1/admin/groups/${group.id}/permissions`, { permissions });
      setEditing(null);
      setSaved(`${updated.name}: ${updated.permissions.join(', ') || 'no permissions'}`);
      await reload();
    } catch (caught) {
      setActionError(errorMessage(caught));
    }
  };

  return (
    <section className="page" aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <p className="muted">
        Groups come from your directory (SCIM), which names their members. Their permissions are set here: each member may authorize these
        action patterns, beside their own.
      </p>
      {saved && (
        <p className="card notice-card" role="status">
          Saved {saved}
        </p>
      )}
      <ErrorNote message={actionError ?? error} />
      {data && data.groups.length === 0 && <p className="card">No groups yet: your directory creates them when it pushes groups.</p>}
      {data && data.groups.length > 0 && (
        <div className="table-scroll card">
          <table className="data stack">
            <caption>Groups ({data.groups.length})</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Members</th>
                <th scope="col">Permissions</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.groups.map((group) =>
                editing === group.id ? (
                  <tr key={group.id}>
                    <td colSpan={4}>
                      <EditPermissions group={group} onCancel={() => setEditing(null)} onSave={(permissions) => save(group, permissions)} />
                    </td>
                  </tr>
                ) : (
                  <tr key={group.id}>
                    <td>
                      <strong>{group.name}</strong>
                      {group.external_id && <div className="muted small mono">{group.external_id}</div>}
                    </td>
                    <td data-label="Members">{group.member_count}</td>
                    <td data-label="Permissions" className="mono small">
                      {group.permissions.join(', ') || '—'}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button small-button"
                        onClick={() => {
                          setSaved(null);
                          setEditing(group.id);
                        }}
                        aria-label={`Edit permissions of ${group.name}`}
                      >
                        Edit permissions
                      </button>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EditPermissions({
  group,
  onSave,
  onCancel,
}: {
  group: GroupSummary;
  onSave: (permissions: string[]) => Promise<void>;
  onCancel: () => void;
}) {
  const [permissions, setPermissions] = useState(group.permissions.join(', '));
  return (
    <form
      className="inline-form"
      aria-label={`Permissions of ${group.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        void onSave(splitList(permissions));
      }}
    >
      <strong>{group.name}</strong>
      <label>
        Permissions
        <input value={permissions} onChange={(event) => setPermissions(event.target.value)} placeholder="payments.refund, chat.*" />
      </label>
      <button type="submit" className="button primary small-button">
        Save
      </button>
      <button type="button" className="button small-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
