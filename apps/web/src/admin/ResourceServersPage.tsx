import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../api';
import { formatDateTime } from '../format';
import { type CreatedResourceServer, type ResourceServers } from './admin-api';
import { ErrorNote, SecretCard, StatusBadge, useLoad } from './parts';

export function ResourceServersPage() {
  const { data, error, reload } = useLoad(() => api.get<ResourceServers>('/v1/admin/resource-servers'));
  const [audience, setAudience] = useState('');
  const [created, setCreated] = useState<CreatedResourceServer | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    try {
      setCreated(await api.post<CreatedResourceServer>('/v1/admin/resource-servers', { audience: audience.trim() }));
      setAudience('');
      await reload();
    } catch (caught) {
      setFormError(errorMessage(caught));
    }
  };
  return (
    <section className="page" aria-labelledby="rs-title">
      <h1 id="rs-title">Resource servers</h1>
      <p className="muted">
        The downstream services that verify approval tokens and consume them once. An approval token’s audience names one of them.
      </p>
      <form className="card form-grid" onSubmit={(event) => void submit(event)} aria-labelledby="rs-create-title">
        <h2 id="rs-create-title">Register a resource server</h2>
        <label>
          Audience
          <input
            required
            value={audience}
            onChange={(event) => setAudience(event.target.value)}
            placeholder="https://payments.internal"
            autoComplete="off"
          />
        </label>
        <ErrorNote message={formError} />
        <div>
          <button type="submit" className="button primary">
            Register
          </button>
        </div>
      </form>
      {created && (
        <SecretCard
          title={`Credentials for ${created.audience}`}
          clientId={created.clientId}
          secret={created.client_secret}
          why="The service uses it to consume approval tokens."
          onDone={() => setCreated(null)}
        />
      )}
      <ErrorNote message={error} />
      {data && (
        <div className="table-scroll card">
          <table className="data stack">
            <caption>Registered resource servers ({data.resource_servers.length})</caption>
            <thead>
              <tr>
                <th scope="col">Audience</th>
                <th scope="col">Client ID</th>
                <th scope="col">Status</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {data.resource_servers.map((server) => (
                <tr key={server.id}>
                  <td className="mono">{server.audience}</td>
                  <td data-label="Client ID" className="mono small">
                    {server.clientId}
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={server.status} />
                  </td>
                  <td data-label="Registered">{formatDateTime(server.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
