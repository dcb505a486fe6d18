import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api';
import { TierBadge } from '../components/TierBadge';
import { actionLabel, formatDateTime, TIER_LABELS } from '../format';
import { OUTCOMES, type Overview } from './admin-api';
import { BarChart, ErrorNote, useLoad } from './parts';

const PERIODS = [1, 7, 30, 90];
const OUTCOME_LABELS: Record<string, string> = {
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  pending: 'Pending',
};
const CHANNEL_LABELS: Record<string, string> = { slack: 'Slack', web_push: 'Web push', email: 'Email', teams: 'Teams' };

export function OverviewPage() {
  const [days, setDays] = useState(7);
  const { data, error } = useLoad(() => api.get<Overview>(`/v1/admin/overview?days=${days}`), [days]);
  return (
    <section className="page" aria-labelledby="overview-title">
      <div className="page-title">
        <h1 id="overview-title">Overview</h1>
        <span className="inline-field">
          <label htmlFor="overview-period">Period</label>
          <select id="overview-period" value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {PERIODS.map((period) => (
              <option key={period} value={period}>
                {period === 1 ? 'Last 24 hours' : `Last ${period} days`}
              </option>
            ))}
          </select>
        </span>
      </div>
      <ErrorNote message={error} />
      {!data ? (
        !error && (
          <p className="loading" role="status">
            Loading…
          </p>
        )
      ) : (
        <OverviewBody overview={data} />
      )}
    </section>
  );
}

function OverviewBody({ overview }: { overview: Overview }) {
  const { approvals, time_to_decision: times, decisions, deliveries_failing: deliveries, pending_now: pending } = overview;
  const fastShare = decisions.total === 0 ? 0 : Math.round((decisions.fast / decisions.total) * 100);
  return (
    <>
      <div className="stat-grid">
        <Stat
          label="Pending right now"
          value={String(pending.total)}
          note={pending.total === 0 ? 'Nothing waits for a decision.' : 'Waiting for a person.'}
        />
        <Stat
          label="Requests in the period"
          value={String(approvals.total)}
          note={`${approvals.by_outcome.approved} approved, ${approvals.by_outcome.denied} denied`}
        />
        <Stat
          label="Time to decision"
          value={times.p50_seconds === null ? '—' : `${formatSeconds(times.p50_seconds)}`}
          note={
            times.p90_seconds === null
              ? 'No decisions yet.'
              : `median; 9 in 10 within ${formatSeconds(times.p90_seconds)} (${times.decided} decided)`
          }
        />
        <Stat
          label="Fast approvals flagged"
          value={String(decisions.fast)}
          note={`decided under ${decisions.fast_threshold_seconds} s after opening; ${fastShare}% of ${decisions.total}`}
          tone={decisions.fast > 0 ? 'warn' : undefined}
        />
        <Stat
          label="Deliveries failing"
          value={String(deliveries.total)}
          note="failed, gone or unreachable"
          tone={deliveries.total > 0 ? 'warn' : undefined}
        />
      </div>

      <div className="chart-grid">
        <div className="card">
          <h2>Outcomes</h2>
          <BarChart
            title={`Approvals by outcome, last ${overview.period.days} days`}
            bars={OUTCOMES.map((outcome) => ({
              label: OUTCOME_LABELS[outcome],
              value: approvals.by_outcome[outcome],
              tone: `outcome-${outcome}`,
            }))}
          />
        </div>
        <div className="card">
          <h2>By risk tier</h2>
          <BarChart
            title={`Approvals by tier, last ${overview.period.days} days`}
            bars={approvals.by_tier.map((row) => ({
              label: TIER_LABELS[row.tier] ?? row.tier,
              value: row.total,
              tone: `tier-bar-${row.tier}`,
            }))}
          />
        </div>
        <div className="card">
          <h2>Pending now</h2>
          <BarChart
            title="Pending approvals by tier"
            bars={pending.by_tier.map((row) => ({
              label: TIER_LABELS[row.tier] ?? row.tier,
              value: row.count,
              tone: `tier-bar-${row.tier}`,
            }))}
          />
        </div>
        <div className="card">
          <h2>Deliveries failing</h2>
          {deliveries.by_channel.length === 0 ? (
            <p className="muted">Every notification in the period reached its channel.</p>
          ) : (
            <BarChart
              title="Failing deliveries by channel"
              bars={deliveries.by_channel.map((row) => ({
                label: CHANNEL_LABELS[row.channel] ?? row.channel,
                value: row.total,
                tone: 'outcome-denied',
              }))}
            />
          )}
        </div>
      </div>

      <div className="card">
        <h2>Tier × outcome</h2>
        <div className="table-scroll">
          <table className="data">
            <caption className="visually-hidden">Approvals by tier and outcome</caption>
            <thead>
              <tr>
                <th scope="col">Tier</th>
                {OUTCOMES.map((outcome) => (
                  <th scope="col" key={outcome} className="number">
                    {OUTCOME_LABELS[outcome]}
                  </th>
                ))}
                <th scope="col" className="number">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {approvals.by_tier.map((row) => (
                <tr key={row.tier}>
                  <th scope="row">
                    <TierBadge tier={row.tier} />
                  </th>
                  {OUTCOMES.map((outcome) => (
                    <td key={outcome} className="number">
                      {row[outcome]}
                    </td>
                  ))}
                  <td className="number">{row.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {deliveries.by_channel.length > 0 && (
          <div className="table-scroll">
            <table className="data">
              <caption>Failing deliveries by channel and state</caption>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col" className="number">
                    Failed
                  </th>
                  <th scope="col" className="number">
                    Subscription gone
                  </th>
                  <th scope="col" className="number">
                    Unreachable
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.by_channel.map((row) => (
                  <tr key={row.channel}>
                    <th scope="row">{CHANNEL_LABELS[row.channel] ?? row.channel}</th>
                    <td className="number">{row.failed}</td>
                    <td className="number">{row.gone}</td>
                    <td className="number">{row.unreachable}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>

      {decisions.recent_fast.length > 0 && (
        <div className="card warn-card">
          <h2>Fast approvals</h2>
          <p>
            These decisions came less than {decisions.fast_threshold_seconds} seconds (or the tier&apos;s own threshold) after the person
            was shown the request, on the web, in Slack or in Teams: too quick to have read it. Worth a word with them.
          </p>
          <ul className="plain-list">
            {decisions.recent_fast.map((row) => (
              <li key={`${row.approval_id}-${row.person}`}>
                <TierBadge tier={row.tier} /> {actionLabel(row.action_type)} — {row.verdict === 'approve' ? 'approved' : 'denied'} by{' '}
                {row.person} {row.channel === 'web' ? 'on the web' : `in ${CHANNEL_LABELS[row.channel] ?? row.channel}`},{' '}
                {formatDateTime(row.decided_at)} <Link to={`/admin/audit?subject_id=${row.approval_id}`}>audit trail</Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

function Stat({ label, value, note, tone }: { label: string; value: string; note: string; tone?: 'warn' }) {
  return (
    <div className={`stat card ${tone === 'warn' ? 'stat-warn' : ''}`}>
      <h2 className="stat-label">{label}</h2>
      <p className="stat-value">{value}</p>
      <p className="stat-note">{note}</p>
    </div>
  );
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
