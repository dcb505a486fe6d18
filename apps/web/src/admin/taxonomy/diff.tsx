// What changed in meaning between two versions.
import { type FormEvent, useId, useState } from 'react';
import { api, errorMessage } from '../../api';
import { type TaxonomyDiff, type TaxonomyVersionSummary } from '../admin-api';
import { ErrorNote } from '../parts';

export function DiffPanel({ versions }: { versions: TaxonomyVersionSummary[] }) {
  const active = versions.find((version) => version.active) ?? versions[0];
  const older = versions.find((version) => version.version !== active.version) ?? active;
  const [from, setFrom] = useState(older.version);
  const [to, setTo] = useState(active.version);
  const [diff, setDiff] = useState<TaxonomyDiff | null>(null);
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  const show = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setDiff(await api.get<TaxonomyDiff>(`/v1/admin/taxonomy/diff?from=${from}&to=${to}`));
    } catch (caught) {
      setError(errorMessage(caught));
    }
  };
  const select = (value: number, set: (value: number) => void, label: string, id: string) => (
    <span className="inline-field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => set(Number(event.target.value))}>
        {versions.map((version) => (
          <option key={version.version} value={version.version}>
            {version.version}
            {version.active ? ' (active)' : ''}
          </option>
        ))}
      </select>
    </span>
  );
  return (
    <div className="card">
      <h2>Compare versions</h2>
      <form className="diff-form" onSubmit={(event) => void show(event)}>
        {select(from, setFrom, 'From version', `${id}-from`)}
        {select(to, setTo, 'To version', `${id}-to`)}
        <button type="submit" className="button">
          Show what changed
        </button>
      </form>
      <ErrorNote message={error} />
      {diff && <DiffView diff={diff} />}
    </div>
  );
}

function DiffView({ diff }: { diff: TaxonomyDiff }) {
  const { summary } = diff;
  const nothing =
    diff.actions.length === 0 &&
    diff.tiers.length === 0 &&
    diff.matrix.length === 0 &&
    !diff.unknown_action &&
    diff.trusted_provenance.added.length === 0 &&
    diff.trusted_provenance.removed.length === 0;
  if (nothing) return <p role="status">No change in meaning between these versions.</p>;
  return (
    <div className="diff" role="status">
      <p>
        {summary.actions_added} action types added, {summary.actions_removed} removed, {summary.actions_changed} changed;{' '}
        {summary.rules_added} rules added, {summary.rules_removed} removed, {summary.rules_changed} changed.{' '}
        <strong>
          {summary.tiers_up} tier{summary.tiers_up === 1 ? '' : 's'} up, {summary.tiers_down} down.
        </strong>
      </p>
      <ul className="diff-list">
        {diff.unknown_action && <li>Unknown actions: {tierMove(diff.unknown_action)}</li>}
        {diff.trusted_provenance.added.length > 0 && <li>Provenance now trusted: {diff.trusted_provenance.added.join(', ')}</li>}
        {diff.trusted_provenance.removed.length > 0 && <li>Provenance no longer trusted: {diff.trusted_provenance.removed.join(', ')}</li>}
        {diff.tiers.map((tier) => (
          <li key={tier.tier}>
            Tier <strong>{tier.tier}</strong> ({tier.strictness}): {fields(tier.fields)}
          </li>
        ))}
        {diff.matrix.map((cell) => (
          <li key={`${cell.reversibility}-${cell.blast_radius}`}>
            Matrix {cell.reversibility} × {cell.blast_radius}: {tierMove(cell.tier)}
          </li>
        ))}
        {diff.actions.map((action) => (
          <li key={action.type} className={`diff-${action.change}`}>
            <span className="mono">{action.type}</span> {action.change}
            {action.tier.move !== 'unchanged' ? ` — ${tierMove(action.tier)}` : ''}
            {action.fields.length > 0 ? `: ${fields(action.fields)}` : ''}
            {action.rules.length > 0 && (
              <ul>
                {action.rules.map((rule) => (
                  <li key={rule.rule}>
                    rule “{rule.rule}” {rule.change}
                    {rule.tier.move !== 'unchanged' ? ` — ${tierMove(rule.tier)}` : ''}
                    {rule.fields.length > 0 ? `: ${fields(rule.fields)}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function tierMove(change: { before: string | null; after: string | null; move: string }): string {
  return `${change.before ?? 'none'} → ${change.after ?? 'none'}${change.move === 'up' ? ' (stricter)' : change.move === 'down' ? ' (more lenient)' : ''}`;
}

function fields(changes: Array<{ field: string; before: unknown; after: unknown }>): string {
  return changes
    .map((change) => `${change.field} ${JSON.stringify(change.before) ?? 'unset'} → ${JSON.stringify(change.after) ?? 'unset'}`)
    .join('; ');
}
