import { type PublicKeyCredentialRequestOptionsJSON, startAuthentication } from '@simplewebauthn/browser';
import { useCallback, useEffect, useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, type ApproverView, errorMessage } from '../api';
import { ArgsTable, flattenArgs, isKeyFact, REDACTED } from '../components/ArgsTable';
import { TierBadge } from '../components/TierBadge';
import { actionLabel, channelLabel, DELIVERY_STATE_LABELS, formatDateTime, timeLeft, useTitle } from '../format';
import { useLiveApprovals, useNow } from '../live';
import { BLAST_RADIUS, REVERSIBILITY, UNKNOWN_RISK } from '../risk';

type Outcome = { verdict: 'approve' | 'deny'; view: ApproverView };

const STATUS_TEXT: Record<string, string> = {
  pending: 'Waiting for a decision',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled by the agent',
};

export function ApprovalPage() {
  const { id = '' } = useParams();
  const [view, setView] = useState<ApproverView | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const now = useNow();
  useTitle(view ? actionLabel(view.action.type) : 'Approval');

  const load = useCallback(async () => {
    try {
      setView(await api.get<ApproverView>(`/v1/me/approvals/${encodeURIComponent(id)}`));
      setLoadError(null);
    } catch (caught) {
      setLoadError(
        caught instanceof ApiError && caught.status === 404
          ? 'This approval does not exist, or it is not yours to decide.'
          : errorMessage(caught),
      );
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  useLiveApprovals(
    (event) => {
      if (event.id === id) void load();
    },
    () => void load(),
  );

  if (loadError) {
    return (
      <section className="page">
        <h1>Approval</h1>
        <p className="error" role="alert">
          {loadError}
        </p>
        <p>
          <Link to="/inbox">Back to the inbox</Link>
        </p>
      </section>
    );
  }
  if (!view) return <p role="status">Loading the approval…</p>;

  const expiredByTime = view.status === 'pending' && Date.parse(view.expires_at) <= now;
  const status = expiredByTime ? 'expired' : view.status;
  const open = status === 'pending';
  const left = timeLeft(view.expires_at, now);
  const facts = flattenArgs(view.action.args).filter(
    (row) =>
      isKeyFact(row.path) && row.value !== REDACTED && (row.value === null || typeof row.value !== 'object' || Array.isArray(row.value)),
  );

  return (
    <article className="page approval" aria-labelledby="approval-title">
      <p className="breadcrumb">
        <Link to="/inbox">← Inbox</Link>
      </p>

      <header className="card approval-head">
        <div className="row-top">
          <TierBadge tier={view.tier} />
          <span className={`status status-${status}`} data-testid="approval-status">
            {STATUS_TEXT[status] ?? status}
          </span>
        </div>
        <h1 id="approval-title">{actionLabel(view.action.type)}</h1>
        <p className="resource">
          <span className="label">on</span> <code>{view.action.resource}</code>
        </p>
        {facts.length > 0 && (
          <dl className="facts">
            {facts.slice(0, 4).map((fact) => (
              <div key={fact.path}>
                <dt>{fact.path.replace(/[_.]+/g, ' ')}</dt>
                <dd>{formatFact(fact.value)}</dd>
              </div>
            ))}
          </dl>
        )}
        <p className="who-line">
          Requested by agent <strong>{view.agent.name}</strong> on behalf of{' '}
          <strong>{view.on_behalf_of.display_name || view.on_behalf_of.email}</strong>
          {view.on_behalf_of.display_name && view.on_behalf_of.display_name !== view.on_behalf_of.email && (
            <> ({view.on_behalf_of.email})</>
          )}
          .
        </p>
        <p className="risk-line">{riskLine(view)}</p>
        <div className="head-bottom">
          <p className={`time-left big ${open ? '' : 'expired'}`} role="timer" aria-live="off">
            {open
              ? left
              : status === 'expired'
                ? `Expired at ${formatDateTime(view.expires_at)}`
                : view.decided_at
                  ? `Decided ${formatDateTime(view.decided_at)}`
                  : STATUS_TEXT[status]}
          </p>
          {open && view.you.can_decide && !outcome && (
            <a className="jump" href="#decide-title">
              Decide ↓
            </a>
          )}
        </div>
      </header>

      {view.provenance_warnings.length > 0 && (
        <section className="warning" aria-labelledby="provenance-title">
          <h2 id="provenance-title">⚠ Untrusted input shaped this request</h2>
          <ul>
            {view.provenance_warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
          <p>
            Content from outside (an email, a web page, a document) may have steered the agent. The risk tier was raised for it. Check that
            you expected this action.
          </p>
        </section>
      )}

      <section className="card" aria-labelledby="action-title">
        <h2 id="action-title">What the agent wants to do</h2>
        <ArgsTable args={view.action.args} />
        <p className="muted small">
          Sent to <code>{view.audience}</code>. Countersign shows the action as the agent submitted it; the token it issues is valid for
          exactly these values.
        </p>
      </section>

      <section className="card" aria-labelledby="risk-title">
        <h2 id="risk-title">Why it needs you</h2>
        <RiskExplained view={view} />
        {view.classification.reasons.length > 0 && (
          <>
            <h3>The taxonomy&apos;s reasons</h3>
            <ul className="reasons">
              {view.classification.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          </>
        )}
        <p className="muted small">
          Rule “{view.classification.rule}”, taxonomy version {view.classification.taxonomy_version}.
        </p>
      </section>

      {view.binding_message && (
        <section className="card" aria-labelledby="binding-title">
          <h2 id="binding-title">Binding message</h2>
          <p className="muted small">The agent shows this same text; approve only if it matches.</p>
          <p>
            <strong>{view.binding_message}</strong>
          </p>
        </section>
      )}

      {view.agent_reason && (
        <section className="card agent-claim" aria-labelledby="claim-title">
          <h2 id="claim-title">The agent&apos;s reason</h2>
          <p className="claim-label">{view.agent_reason.label}</p>
          <blockquote>{view.agent_reason.text}</blockquote>
        </section>
      )}

      {outcome ? (
        <OutcomePanel outcome={outcome} />
      ) : (
        <DecisionPanel
          view={view}
          open={open}
          status={status}
          onDecided={(decided) => {
            setOutcome(decided);
            setView(decided.view);
          }}
        />
      )}

      <section className="card" aria-labelledby="approvers-title">
        <h2 id="approvers-title">Approvers and decisions</h2>
        <p>
          {view.requirement.approvals_required === 1
            ? 'One approval is needed'
            : `${view.requirement.approvals_required} approvals from different people are needed`}
          {view.requirement.step_up === 'passkey' ? ', each confirmed with a passkey.' : '.'} Who may decide: {describeApprovers(view)}.
        </p>
        {view.you.deciding_for && (
          <p className="notice">
            You decide this for {view.you.deciding_for.display_name || view.you.deciding_for.email}, who delegated their approvals to you.
          </p>
        )}
        {view.groups.map((group) => (
          <div key={group.entry}>
            <h3>{group.entry.replace(/^group:/, 'Group ')}</h3>
            {group.members.length === 0 ? (
              <p className="muted">Nobody: the group had no enabled member when the request was made.</p>
            ) : (
              <ul aria-label={`Members of ${group.entry}`}>
                {group.members.map((member) => (
                  <li key={member.person.id}>
                    {member.person.display_name || member.person.email}
                    {member.state !== 'member' && <span className="tag">{GROUP_MEMBER_STATE[member.state]}</span>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
        {view.escalation.steps > 0 && <p className="escalation">{describeEscalation(view.escalation)}</p>}
        <Reached notifications={view.notifications} />
        {view.decisions.length === 0 ? (
          <p className="muted">No one has decided yet.</p>
        ) : (
          <ul className="decisions">
            {view.decisions.map((decision) => (
              <li key={decision.person.id}>
                <strong>{decision.person.display_name || decision.person.email}</strong>
                {decision.for && ` for ${decision.for.display_name || decision.for.email}`}{' '}
                {decision.verdict === 'approve' ? 'approved' : 'denied'}
                {decision.step_up && ' with a passkey'} via {decision.channel}, {formatDateTime(decision.decided_at)}
                {decision.reason && <span className="decision-reason"> — “{decision.reason}”</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}

/** Who was reached where: each approver's channels and how each delivery went (a reminder is marked as one). */
function Reached({ notifications }: { notifications: ApproverView['notifications'] }) {
  if (notifications.length === 0) return <p className="muted">Nobody has been notified yet.</p>;
  const byPerson = new Map<string, ApproverView['notifications']>();
  for (const notification of notifications) byPerson.set(notification.person, [...(byPerson.get(notification.person) ?? []), notification]);
  return (
    <>
      <h3>Who was reached where</h3>
      <ul className="reached" aria-label="Who was reached where">
        {[...byPerson].map(([person, deliveries]) => {
          const reached = deliveries.some((delivery) => delivery.state === 'sent' || delivery.state === 'queued');
          return (
            <li key={person}>
              <strong>{deliveries[0].person_name}</strong>
              {!reached && <span className="tag">not reached on any channel</span>}:{' '}
              {deliveries.map((delivery, index) => (
                <span key={`${delivery.channel}:${delivery.kind}`} title={delivery.detail ?? undefined}>
                  {index > 0 && ' · '}
                  {channelLabel(delivery.channel)}
                  {delivery.kind === 'reminder' && ' (reminder)'} {DELIVERY_STATE_LABELS[delivery.state] ?? delivery.state}
                </span>
              ))}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function formatFact(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => formatFact(item)).join(', ');
  if (typeof value === 'number') return value.toLocaleString(undefined, { maximumFractionDigits: 20 });
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** "Cannot be undone · Reaches outside the organisation": the classification at a glance. */
function riskLine(view: ApproverView): string {
  const { reversibility, blast_radius: blastRadius } = view.classification;
  if (!reversibility || !blastRadius) return UNKNOWN_RISK.title;
  return `${REVERSIBILITY[reversibility]?.title ?? reversibility} · ${BLAST_RADIUS[blastRadius]?.title ?? blastRadius}`;
}

/** How a group entry's member stands now against the approval's record (eligibility keeps to the record). */
const GROUP_MEMBER_STATE = {
  member: 'member',
  left: 'left the group since the request (still eligible)',
  disabled: 'disabled since the request (cannot decide)',
  joined: 'joined since the request (not eligible)',
} as const;

function describeApprovers(view: ApproverView): string {
  const entries = [...view.requirement.approvers, ...view.escalated_to];
  return entries
    .map((entry) =>
      entry === 'on_behalf_of'
        ? `${view.on_behalf_of.display_name || view.on_behalf_of.email} (the person it is for)`
        : entry
            .replace(/^role:/, 'anyone with the role ')
            .replace(/^group:/, 'the members of group ')
            .replace(/^person:/, ''),
    )
    .join(', ');
}

/** "Escalation step 2 of 3; the next step is due …": where the approval is on its tier's ladder. */
function describeEscalation(escalation: ApproverView['escalation']): string {
  const where =
    escalation.step === 0
      ? `Not escalated yet (the tier has ${escalation.steps === 1 ? 'one escalation step' : `${escalation.steps} escalation steps`})`
      : `Escalation step ${escalation.step} of ${escalation.steps}`;
  return escalation.next_step_at === null ? `${where}.` : `${where}; the next step is due ${formatDateTime(escalation.next_step_at)}.`;
}

function RiskExplained({ view }: { view: ApproverView }) {
  const { reversibility, blast_radius: blastRadius } = view.classification;
  if (!reversibility || !blastRadius) {
    return (
      <div className="risk-grid">
        <div className="risk">
          <h3>{UNKNOWN_RISK.title}</h3>
          <p>{UNKNOWN_RISK.text}</p>
        </div>
      </div>
    );
  }
  const undo = REVERSIBILITY[reversibility] ?? { title: reversibility, text: '' };
  const reach = BLAST_RADIUS[blastRadius] ?? { title: blastRadius, text: '' };
  return (
    <div className="risk-grid">
      <div className={`risk risk-${reversibility}`}>
        <h3>{undo.title}</h3>
        <p>{undo.text}</p>
      </div>
      <div className={`risk risk-${blastRadius}`}>
        <h3>{reach.title}</h3>
        <p>{reach.text}</p>
      </div>
    </div>
  );
}

function DecisionPanel({
  view,
  open,
  status,
  onDecided,
}: {
  view: ApproverView;
  open: boolean;
  status: string;
  onDecided: (outcome: Outcome) => void;
}) {
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [needsPasskey, setNeedsPasskey] = useState(false);
  const [reason, setReason] = useState('');
  const reasonId = useId();

  if (!open) {
    return (
      <section className={`card closed closed-${status}`} aria-labelledby="closed-title">
        <h2 id="closed-title">{closedTitle(status)}</h2>
        <p>{closedText(status, view)}</p>
        {view.status_reason && <p className="muted">{view.status_reason}</p>}
      </section>
    );
  }
  if (!view.you.can_decide) {
    return (
      <section className="card" aria-labelledby="decided-title">
        <h2 id="decided-title">You have decided</h2>
        <p>You {view.you.your_decision === 'approve' ? 'approved' : 'denied'} this request. It waits for the other approvers.</p>
      </section>
    );
  }

  const decide = async (verdict: 'approve' | 'deny') => {
    setBusy(verdict);
    setError(null);
    try {
      let stepUp: unknown;
      if (verdict === 'approve' && view.you.step_up_required) {
        const options = await api.post<PublicKeyCredentialRequestOptionsJSON>(`/v1/me/approvals/${view.id}/step-up`);
        stepUp = await startAuthentication({ optionsJSON: options });
      }
      const body: Record<string, unknown> = { verdict };
      if (verdict === 'deny' && reason.trim()) body.reason = reason.trim();
      if (stepUp) body.step_up = stepUp;
      onDecided({ verdict, view: await api.post<ApproverView>(`/v1/me/approvals/${view.id}/decision`, body) });
    } catch (caught) {
      // Signed in through the organization with no passkey yet: step-up needs one, added in Settings (no link needed).
      setNeedsPasskey(caught instanceof ApiError && caught.code === 'step_up_required');
      setError(errorMessage(caught));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card decide" aria-labelledby="decide-title">
      <h2 id="decide-title">Your decision</h2>
      {view.you.step_up_required && (
        <p className="small">Approving asks for your passkey, so Countersign knows it is you, for exactly this action.</p>
      )}
      <div className="decide-buttons">
        <button type="button" className="button approve large" onClick={() => void decide('approve')} disabled={busy !== null}>
          {busy === 'approve' ? 'Approving…' : view.you.step_up_required ? 'Approve with passkey' : 'Approve'}
        </button>
      </div>
      <div className="deny-box">
        <label htmlFor={reasonId}>Reason for denying (optional; the agent is told)</label>
        <textarea id={reasonId} value={reason} maxLength={1000} rows={2} onChange={(event) => setReason(event.target.value)} />
        <button type="button" className="button deny large" onClick={() => void decide('deny')} disabled={busy !== null}>
          {busy === 'deny' ? 'Denying…' : 'Deny'}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {needsPasskey && (
        <p>
          <Link className="button primary" to={`/settings?next=${encodeURIComponent(`/approvals/${view.id}`)}#passkeys`}>
            Add a passkey
          </Link>{' '}
          then come back to approve. Signing in with your organization does not replace the passkey this approval asks for.
        </p>
      )}
    </section>
  );
}

function closedTitle(status: string): string {
  return status === 'approved'
    ? 'Approved'
    : status === 'denied'
      ? 'Denied'
      : status === 'expired'
        ? 'Expired: it can no longer be decided'
        : status === 'cancelled'
          ? 'Cancelled'
          : (STATUS_TEXT[status] ?? status);
}

function closedText(status: string, view: ApproverView): string {
  switch (status) {
    case 'approved':
      return `The agent ${view.agent.name} received a short-lived, single-use approval token for exactly this action.`;
    case 'denied':
      return `The agent ${view.agent.name} was told no; Countersign issued no token, so the action cannot go ahead with its approval.`;
    case 'expired':
      return `No one decided in time. The agent ${view.agent.name} was told it expired (not denied); it has to ask again if it still needs this.`;
    case 'cancelled':
      return `The agent ${view.agent.name} withdrew the request.`;
    default:
      return '';
  }
}

function OutcomePanel({ outcome }: { outcome: Outcome }) {
  const { verdict, view } = outcome;
  let title: string;
  let text: string;
  if (verdict === 'deny') {
    title = 'You denied it';
    text = `Countersign told the agent ${view.agent.name} that the request was denied${view.decisions.find((decision) => decision.verdict === 'deny')?.reason ? ', with your reason' : ''}. No token was issued, so the action cannot go ahead with Countersign's approval.`;
  } else if (view.status === 'approved') {
    title = 'You approved it';
    text = `Countersign issued the agent ${view.agent.name} a single-use approval token, valid for a few minutes and only for exactly this action. The service it calls checks that token before acting.`;
  } else {
    const missing = view.requirement.approvals_required - view.decisions.filter((decision) => decision.verdict === 'approve').length;
    title = 'Your approval is recorded';
    text = `${missing} more approval${missing === 1 ? '' : 's'} from other people ${missing === 1 ? 'is' : 'are'} needed before the agent gets a token.`;
  }
  return (
    <section className={`card outcome outcome-${verdict}`} role="status" aria-labelledby="outcome-title">
      <h2 id="outcome-title">{title}</h2>
      <p>{text}</p>
      <p>
        <Link to="/inbox">Back to the inbox</Link>
      </p>
    </section>
  );
}
