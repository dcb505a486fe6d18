import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, errorMessage } from '../api';
import { TierBadge } from '../components/TierBadge';
import { actionLabel, formatDateTime } from '../format';
import { type Agent, type AgentApprovals, type Agents, type CreatedAgent, type SuspendedAgent, splitList } from './admin-api';
import { Dialog, ErrorNote, SecretCard, StatusBadge, useLoad } from './parts';
import { useAction } from '../use-action';

export function AgentsPage() {
  const { data, error, reload } = useLoad(() => api.get<Agents>('/v1/admin/agents'));
  // Held in this page's state only: leaving the page forgets it, and the API never shows it again.
  const [created, setCreated] = useState<CreatedAgent | null>(null);
  return (
    <section className="page" aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <CreateAgentForm
        onCreated={async (agent) => {
          setCreated(agent);
          await reload();
        }}
      />
      {created && (
        <SecretCard
          title={`Credentials for ${created.name}`}
          clientId={created.clientId}
          secret={created.client_secret}
          why="Countersign keeps only a hash of it. If it is lost, create a new agent and suspend this one."
          onDone={() => setCreated(null)}
        />
      )}
      <ErrorNote message={error} />
      {data && (
        <div className="table-scroll card">
          <table className="data stack">
            <caption>Registered agents ({data.agents.length})</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Capabilities</th>
                <th scope="col" className="number">
                  Requests / min
                </th>
                <th scope="col" className="number">
                  Max pending
                </th>
              </tr>
            </thead>
            <tbody>
              {data.agents.map((agent) => (
                <tr key={agent.id}>
                  <td>
                    <Link to={`/admin/agents/${agent.id}`}>{agent.name}</Link>
                    <div className="mono small muted">{agent.clientId}</div>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={agent.status} />
                  </td>
                  <td data-label="Capabilities" className="mono small">
                    {agent.capabilities.join(', ')}
                  </td>
                  <td data-label="Requests / min" className="number">
                    {agent.requestsPerMinute}
                  </td>
                  <td data-label="Max pending" className="number">
                    {agent.maxPending}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CreateAgentForm({ onCreated }: { onCreated: (agent: CreatedAgent) => Promise<void> }) {
  const [name, setName] = useState('');
  const [capabilities, setCapabilities] = useState('');
  const [perMinute, setPerMinute] = useState('');
  const [maxPending, setMaxPending] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const agent = await api.post<CreatedAgent>('/v1/admin/agents', {
        name: name.trim(),
        capabilities: splitList(capabilities),
        ...(perMinute ? { requests_per_minute: Number(perMinute) } : {}),
        ...(maxPending ? { max_pending: Number(maxPending) } : {}),
      });
      setName('');
      setCapabilities('');
      setPerMinute('');
      setMaxPending('');
      await onCreated(agent);
    });
  };
  return (
    <form className="card form-grid" onSubmit={(event) => void submit(event)} aria-labelledby="create-agent-title">
      <h2 id="create-agent-title">Register an agent</h2>
      <label>
        Name
        <input required value={name} onChange={(event) => setName(event.target.value)} autoComplete="off" />
      </label>
      <label>
        Capabilities
        <input
          required
          value={capabilities}
          onChange={(event) => setCapabilities(event.target.value)}
          placeholder="payments.*, email.send"
          aria-describedby="agent-capabilities-hint"
        />
        <span id="agent-capabilities-hint" className="hint-inline">
          Action patterns it may request, separated by commas. A person must hold the permission too.
        </span>
      </label>
      <QuotaFields perMinute={perMinute} maxPending={maxPending} setPerMinute={setPerMinute} setMaxPending={setMaxPending} />
      <ErrorNote message={error} />
      <div>
        <button type="submit" className="button primary" disabled={busy}>
          Create agent
        </button>
      </div>
    </form>
  );
}

function QuotaFields(props: {
  perMinute: string;
  maxPending: string;
  setPerMinute: (value: string) => void;
  setMaxPending: (value: string) => void;
}) {
  return (
    <>
      <label>
        Requests per minute <span className="muted">(empty: the default)</span>
        <input
          type="number"
          min={1}
          inputMode="numeric"
          value={props.perMinute}
          onChange={(event) => props.setPerMinute(event.target.value)}
        />
      </label>
      <label>
        Max pending approvals <span className="muted">(empty: the default)</span>
        <input
          type="number"
          min={1}
          inputMode="numeric"
          value={props.maxPending}
          onChange={(event) => props.setMaxPending(event.target.value)}
        />
      </label>
    </>
  );
}

export function AgentPage() {
  const { id = '' } = useParams();
  const agent = useLoad(() => api.get<Agent>(`/v1/admin/agents/${encodeURIComponent(id)}`), [id]);
  const approvals = useLoad(() => api.get<AgentApprovals>(`/v1/admin/agents/${encodeURIComponent(id)}/approvals?limit=20`), [id]);
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = async () => {
    await Promise.all([agent.reload(), approvals.reload()]);
  };
  const suspend = async () => {
    setError(null);
    try {
      const answer = await api.post<SuspendedAgent>(
        `/v1/admin/agents/${encodeURIComponent(id)}/suspend`,
        reason.trim() ? { reason: reason.trim() } : {},
      );
      const count = answer.cancelled_approvals.length;
      setNotice(
        `${answer.name} is suspended. ${count === 0 ? 'It had no pending approvals.' : `${count} pending approval${count === 1 ? ' was' : 's were'} cancelled.`} Its unconsumed approval tokens are revoked.`,
      );
      setConfirming(false);
      setReason('');
      await reload();
    } catch (caught) {
      setError(errorMessage(caught));
      setConfirming(false);
    }
  };
  const resume = async () => {
    setError(null);
    try {
      const answer = await api.post<Agent>(`/v1/admin/agents/${encodeURIComponent(id)}/resume`);
      setNotice(`${answer.name} is active again. Approvals cancelled by the suspension stay cancelled.`);
      await reload();
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };

  if (agent.error && !agent.data) {
    return (
      <section className="page">
        <h1>Agent</h1>
        <ErrorNote message={agent.error} />
        <Link to="/admin/agents">All agents</Link>
      </section>
    );
  }
  if (!agent.data)
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  const current = agent.data;
  return (
    <section className="page" aria-labelledby="agent-title">
      <p>
        <Link to="/admin/agents">← All agents</Link>
      </p>
      <div className="page-title">
        <h1 id="agent-title">{current.name}</h1>
        <StatusBadge status={current.status} />
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <ErrorNote message={error} />
      <div className="card kill-switch">
        <h2>Kill switch</h2>
        {current.status === 'active' ? (
          <>
            <p>Suspending stops this agent at once. You can resume it later.</p>
            <button type="button" className="button danger-button" onClick={() => setConfirming(true)}>
              Suspend agent
            </button>
          </>
        ) : (
          <>
            <p>This agent is suspended: it cannot get access tokens or request approvals.</p>
            <button type="button" className="button primary" onClick={() => void resume()}>
              Resume agent
            </button>
          </>
        )}
      </div>
      <Dialog open={confirming} title={`Suspend ${current.name}?`} onClose={() => setConfirming(false)}>
        <p>This happens at once and is audited:</p>
        <ul>
          <li>its pending approvals are cancelled (they leave every approver’s inbox),</li>
          <li>its approval tokens that were not yet used are revoked,</li>
          <li>its access tokens stop working and it cannot get new ones.</li>
        </ul>
        <p>Resuming later lets it request again; cancelled approvals and revoked tokens stay that way.</p>
        <label>
          Reason <span className="muted">(optional, kept in the audit log)</span>
          <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
        </label>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setConfirming(false)}>
            Keep it running
          </button>
          <button type="button" className="button danger-button" onClick={() => void suspend()}>
            Suspend now
          </button>
        </div>
      </Dialog>

      <dl className="facts card">
        <dt>Client ID</dt>
        <dd className="mono">{current.clientId}</dd>
        <dt>Registered</dt>
        <dd>{formatDateTime(current.createdAt)}</dd>
      </dl>
      <EditAgent
        agent={current}
        onSaved={reload}
        key={`${current.capabilities.join(',')}-${current.requestsPerMinute}-${current.maxPending}`}
      />

      <div className="card">
        <h2>Recent approvals</h2>
        <ErrorNote message={approvals.error} />
        {approvals.data && approvals.data.approvals.length === 0 && <p className="muted">It has not requested anything yet.</p>}
        {approvals.data && approvals.data.approvals.length > 0 && (
          <div className="table-scroll">
            <table className="data stack">
              <caption className="visually-hidden">The agent’s newest approvals</caption>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">Tier</th>
                  <th scope="col">On behalf of</th>
                  <th scope="col">Status</th>
                  <th scope="col">Requested</th>
                </tr>
              </thead>
              <tbody>
                {approvals.data.approvals.map((approval) => (
                  <tr key={approval.id}>
                    <td>
                      {actionLabel(approval.action.type)}
                      <div className="mono small muted">{approval.action.resource}</div>
                    </td>
                    <td data-label="Tier">
                      <TierBadge tier={approval.tier} />
                    </td>
                    <td data-label="On behalf of">{approval.on_behalf_of.email}</td>
                    <td data-label="Status">
                      <StatusBadge status={approval.status} />
                      {approval.status_reason && <div className="small muted">{approval.status_reason}</div>}
                    </td>
                    <td data-label="Requested">{formatDateTime(approval.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}

function EditAgent({ agent, onSaved }: { agent: Agent; onSaved: () => Promise<void> }) {
  const [capabilities, setCapabilities] = useState(agent.capabilities.join(', '));
  const [perMinute, setPerMinute] = useState(String(agent.requestsPerMinute));
  const [maxPending, setMaxPending] = useState(String(agent.maxPending));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api.patch(`/v1/admin/agents/${agent.id}`, {
        capabilities: splitList(capabilities),
        requests_per_minute: perMinute ? Number(perMinute) : null,
        max_pending: maxPending ? Number(maxPending) : null,
      });
      setSaved(true);
      await onSaved();
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  return (
    <form className="card form-grid" onSubmit={(event) => void submit(event)} aria-labelledby="edit-agent-title">
      <h2 id="edit-agent-title">Capabilities and quotas</h2>
      <label>
        Capabilities
        <input required value={capabilities} onChange={(event) => setCapabilities(event.target.value)} />
      </label>
      <QuotaFields perMinute={perMinute} maxPending={maxPending} setPerMinute={setPerMinute} setMaxPending={setMaxPending} />
      <ErrorNote message={error} />
      {saved && (
        <p className="notice" role="status">
          Saved.
        </p>
      )}
      <div>
        <button type="submit" className="button primary">
          Save changes
        </button>
      </div>
    </form>
  );
}
