import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../api';
import { formatDateTime } from '../format';
import { usePerson } from '../session';
import { type AdminPerson, type EnrollmentLink, type Invitation, type People, splitList } from './admin-api';
import { CopyField, ErrorNote, StatusBadge, useLoad } from './parts';
import { useAction } from '../use-action';

const ROLES = ['approver', 'member', 'admin'] as const;

export function PeoplePage() {
  const { data, error, reload } = useLoad(() => api.get<People>('/v1/admin/people'));
  const [link, setLink] = useState<{ email: string; enrollment: EnrollmentLink | null } | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const me = usePerson();

  const act = async (work: () => Promise<void>) => {
    setActionError(null);
    try {
      await work();
      await reload();
    } catch (caught) {
      setActionError(errorMessage(caught));
    }
  };

  return (
    <section className="page" aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      <InviteForm
        onInvited={async (email, enrollment) => {
          setLink({ email, enrollment });
          await reload();
        }}
      />
      {link && !link.enrollment && (
        <div className="card notice-card" role="status">
          <h2>{link.email} was added</h2>
          <p>This deployment requires single sign-on: they sign in through your organization, no enrollment link is needed.</p>
        </div>
      )}
      {link?.enrollment && (
        <div className="card notice-card" role="status">
          <h2>Enrollment link for {link.email}</h2>
          <p>
            {link.enrollment.emailed
              ? `It was emailed to ${link.email}; you can also send it to them yourself.`
              : 'Send this link to them yourself (it was not emailed).'}{' '}
            It works once, until {formatDateTime(link.enrollment.expires_at)}; with it they create their passkey.
          </p>
          <CopyField label="Enrollment link" value={link.enrollment.url} />
        </div>
      )}
      <ErrorNote message={actionError ?? error} />
      {data && (
        <div className="table-scroll card">
          <table className="data stack">
            <caption>Everyone who can sign in or be asked ({data.people.length})</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col">Permissions</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.people.map((person) =>
                editing === person.id ? (
                  <tr key={person.id}>
                    <td colSpan={5}>
                      <EditPerson
                        person={person}
                        onCancel={() => setEditing(null)}
                        onSave={(changes) =>
                          act(async () => {
                            await api.patch(`/v1/admin/people/${person.id}`, changes);
                            setEditing(null);
                          })
                        }
                      />
                    </td>
                  </tr>
                ) : (
                  <tr key={person.id}>
                    <td>
                      <strong>{person.display_name || person.email}</strong>
                      {person.display_name && person.display_name !== person.email && <div className="muted small">{person.email}</div>}
                      {person.id === me.id && <div className="muted small">(you)</div>}
                    </td>
                    <td data-label="Role">{person.role}</td>
                    <td data-label="Permissions" className="mono small">
                      {person.permissions.join(', ') || '—'}
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={person.status} />
                    </td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button small-button"
                          onClick={() => setEditing(person.id)}
                          aria-label={`Edit ${person.email}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="button small-button"
                          aria-label={`New link for ${person.email}`}
                          onClick={() =>
                            void act(async () => {
                              const enrollment = await api.post<EnrollmentLink>(`/v1/admin/people/${person.id}/enrollment`);
                              setLink({ email: person.email, enrollment });
                            })
                          }
                        >
                          New link
                        </button>
                        {person.status === 'disabled' ? (
                          <button
                            type="button"
                            className="button small-button"
                            aria-label={`Enable ${person.email}`}
                            onClick={() => void act(() => api.patch(`/v1/admin/people/${person.id}`, { status: 'active' }))}
                          >
                            Enable
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="button small-button danger-button"
                            aria-label={`Disable ${person.email}`}
                            onClick={() => {
                              if (
                                window.confirm(
                                  `Disable ${person.email}? Their sessions end at once and they can no longer sign in or decide.`,
                                )
                              ) {
                                void act(() => api.patch(`/v1/admin/people/${person.id}`, { status: 'disabled' }));
                              }
                            }}
                          >
                            Disable
                          </button>
                        )}
                      </div>
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

function InviteForm({ onInvited }: { onInvited: (email: string, enrollment: EnrollmentLink | null) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<string>('approver');
  const [permissions, setPermissions] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const answer = await api.post<Invitation>('/v1/admin/people', {
        email: email.trim(),
        role,
        permissions: splitList(permissions),
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
      });
      setEmail('');
      setDisplayName('');
      setPermissions('');
      await onInvited(answer.person.email, answer.enrollment);
    });
  };
  return (
    <form className="card form-grid" onSubmit={(event) => void submit(event)} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a person</h2>
      <label>
        Email
        <input type="email" required value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="off" />
      </label>
      <label>
        Display name <span className="muted">(optional)</span>
        <input value={displayName} onChange={(event) => setDisplayName(event.target.value)} autoComplete="off" />
      </label>
      <label>
        Role
        <select value={role} onChange={(event) => setRole(event.target.value)}>
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <label>
        Permissions
        <input
          value={permissions}
          onChange={(event) => setPermissions(event.target.value)}
          placeholder="payments.*, deploy.*"
          aria-describedby="invite-permissions-hint"
        />
        <span id="invite-permissions-hint" className="hint-inline">
          Action patterns they may approve, separated by commas.
        </span>
      </label>
      <ErrorNote message={error} />
      <div>
        <button type="submit" className="button primary" disabled={busy}>
          Invite and get the link
        </button>
      </div>
    </form>
  );
}

function EditPerson({
  person,
  onSave,
  onCancel,
}: {
  person: AdminPerson;
  onSave: (changes: { role: string; permissions: string[] }) => Promise<void>;
  onCancel: () => void;
}) {
  const [role, setRole] = useState<string>(person.role);
  const [permissions, setPermissions] = useState(person.permissions.join(', '));
  return (
    <form
      className="inline-form"
      aria-label={`Edit ${person.email}`}
      onSubmit={(event) => {
        event.preventDefault();
        void onSave({ role, permissions: splitList(permissions) });
      }}
    >
      <strong>{person.email}</strong>
      <label>
        Role
        <select value={role} onChange={(event) => setRole(event.target.value)}>
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <label>
        Permissions
        <input value={permissions} onChange={(event) => setPermissions(event.target.value)} />
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
