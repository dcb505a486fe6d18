import { type PublicKeyCredentialCreationOptionsJSON, startRegistration } from '@simplewebauthn/browser';
import { useCallback, useEffect, useId, useState } from 'react';
import { type ChannelPreferences, type Delegation, type Passkey, type SessionView, type SlackLink } from '@countersign/contract';
import { api, errorMessage } from '../api';
import { formatDateTime, useTitle } from '../format';
import { enablePush, pushSupported, type PushSubscriptionView } from '../push';
import { Link, useSearchParams } from 'react-router';
import { usePerson } from '../session';
import { safeNext } from './SignInPage';
import { Feedback } from '../components/Feedback';
import { TierBadge } from '../components/TierBadge';
import { channelLabel } from '../format';

/** Loads one list for a settings section; `reload` after a change. */
function useResource<T>(path: string): { data: T | null; error: string | null; reload: () => Promise<void> } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await api.get<T>(path));
      setError(null);
    } catch (caught) {
      setError(errorMessage(caught));
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

export function SettingsPage() {
  useTitle('Settings');
  const person = usePerson();
  return (
    <section className="page settings">
      <h1>Settings</h1>
      <p className="muted">
        Signed in as <strong>{person.email}</strong> ({person.role}). {describePermissions(person.permissions)}
      </p>
      <PasskeysSection />
      <DelegationsSection />
      <ChannelPreferencesSection />
      <PushSection />
      <SlackSection />
      <SessionsSection />
    </section>
  );
}

function PasskeysSection() {
  const { data, error, reload } = useResource<{ passkeys: Passkey[] }>('/v1/me/passkeys');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const nameId = useId();
  const [params] = useSearchParams();
  const back = params.get('next') ? safeNext(params.get('next')) : null;

  const add = async () => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      const options = await api.post<PublicKeyCredentialCreationOptionsJSON>('/v1/me/passkeys/options');
      const response = await startRegistration({ optionsJSON: options });
      const added = await api.post<Passkey>('/v1/me/passkeys', { response, ...(name.trim() ? { name: name.trim() } : {}) });
      setName('');
      // The list first, then the notice: "added" never shows beside a list without it.
      await reload();
      setNotice(`Passkey “${added.name}” added.`);
    } catch (caught) {
      setActionError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (passkey: Passkey) => {
    if (!window.confirm(`Remove the passkey “${passkey.name}”? You will no longer be able to sign in with it.`)) return;
    setActionError(null);
    setNotice(null);
    try {
      await api.delete(`/v1/me/passkeys/${encodeURIComponent(passkey.id)}`);
      await reload();
      setNotice(`Passkey “${passkey.name}” removed.`);
    } catch (caught) {
      setActionError(errorMessage(caught));
    }
  };

  return (
    <section className="card" id="passkeys" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted small">
        Your passkeys sign you in and confirm risky approvals. Keep at least two (for example, your laptop and your phone).
      </p>
      {data && data.passkeys.length === 0 && (
        <p className="notice" role="status">
          You have no passkey yet. Signing in with your organization does not confirm risky approvals: add a passkey on this device below;
          no enrollment link is needed.
        </p>
      )}
      {back && data && data.passkeys.length > 0 && (
        <p>
          <Link to={back}>Back to the approval</Link>
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <ul className="settings-list" aria-label="Your passkeys">
          {data.passkeys.map((passkey) => (
            <li key={passkey.id}>
              <span className="item-main">
                <strong>{passkey.name}</strong>
                {passkey.backed_up && <span className="tag">synced</span>}
                <br />
                <span className="muted small">
                  Added {formatDateTime(passkey.created_at)}
                  {passkey.last_used_at ? `, last used ${formatDateTime(passkey.last_used_at)}` : ', never used yet'}
                </span>
              </span>
              <button
                type="button"
                className="button small"
                onClick={() => void remove(passkey)}
                aria-label={`Remove passkey ${passkey.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="inline-form">
        <div className="field">
          <label htmlFor={nameId}>Name for a new passkey (optional)</label>
          <input
            id={nameId}
            type="text"
            value={name}
            maxLength={100}
            placeholder="e.g. Work phone"
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <button type="button" className="button primary" onClick={() => void add()} disabled={busy}>
          {busy ? 'Waiting for your passkey…' : 'Add a passkey'}
        </button>
      </div>
      <Feedback notice={notice} error={actionError} />
    </section>
  );
}

/** My approvals handed to someone else while I am away, and those handed to me (docs/adr/0018). */
function DelegationsSection() {
  const person = usePerson();
  const { data, error, reload } = useResource<{ delegations: Delegation[] }>('/v1/me/delegations');
  const [delegate, setDelegate] = useState('');
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const delegateId = useId();
  const untilId = useId();
  const reasonId = useId();

  const create = async () => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      const created = await api.post<Delegation>('/v1/me/delegations', {
        delegate: delegate.trim(),
        ends_at: until ? new Date(until).toISOString() : '',
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      setDelegate('');
      setUntil('');
      setReason('');
      await reload();
      setNotice(`${created.delegate.display_name} may decide your approvals until ${formatDateTime(created.ends_at)}.`);
    } catch (caught) {
      setActionError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (delegation: Delegation) => {
    setActionError(null);
    setNotice(null);
    try {
      await api.delete(`/v1/me/delegations/${encodeURIComponent(delegation.id)}`);
      await reload();
      setNotice('Delegation ended.');
    } catch (caught) {
      setActionError(errorMessage(caught));
    }
  };

  const live = data?.delegations.filter((delegation) => delegation.state === 'active' || delegation.state === 'scheduled') ?? [];
  return (
    <section className="card" aria-labelledby="delegations-title">
      <h2 id="delegations-title">Delegation</h2>
      <p className="muted small">
        While you are away, someone else may decide the approvals you may decide (never a request made on their own behalf), for at most 90
        days. It stops at its end, or as soon as either of you ends it.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && live.length > 0 && (
        <ul className="settings-list" aria-label="Delegations in force or scheduled">
          {live.map((delegation) => {
            const mine = delegation.delegator.id === person.id;
            const other = mine ? delegation.delegate : delegation.delegator;
            return (
              <li key={delegation.id}>
                <span className="item-main">
                  <strong>{mine ? `To ${other.display_name}` : `For ${other.display_name}`}</strong>
                  {delegation.state === 'scheduled' && <span className="tag">scheduled</span>}
                  <br />
                  <span className="muted small">
                    {formatDateTime(delegation.starts_at)} – {formatDateTime(delegation.ends_at)}
                    {delegation.reason ? ` · ${delegation.reason}` : ''}
                  </span>
                </span>
                <button
                  type="button"
                  className="button small"
                  onClick={() => void revoke(delegation)}
                  aria-label={`End the delegation ${mine ? 'to' : 'from'} ${other.display_name}`}
                >
                  End
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="inline-form">
        <div className="field">
          <label htmlFor={delegateId}>Delegate (email)</label>
          <input id={delegateId} type="email" value={delegate} onChange={(event) => setDelegate(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={untilId}>Until</label>
          <input id={untilId} type="datetime-local" value={until} onChange={(event) => setUntil(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={reasonId}>Reason (optional)</label>
          <input id={reasonId} type="text" maxLength={500} value={reason} onChange={(event) => setReason(event.target.value)} />
        </div>
        <button type="button" className="button primary" onClick={() => void create()} disabled={busy || !delegate.trim() || !until}>
          {busy ? 'Delegating…' : 'Delegate my approvals'}
        </button>
      </div>
      <Feedback notice={notice} error={actionError} />
    </section>
  );
}

function PushSection() {
  const { data, error, reload } = useResource<{ subscriptions: PushSubscriptionView[] }>('/v1/me/push-subscriptions');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const supported = pushSupported();

  const enable = async () => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      await enablePush();
      setNotice(
        'Notifications are on for this device. Countersign will tell you when an approval waits, without showing its details on the lock screen.',
      );
      await reload();
    } catch (caught) {
      setActionError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (subscription: PushSubscriptionView) => {
    setActionError(null);
    try {
      await api.delete(`/v1/me/push-subscriptions/${encodeURIComponent(subscription.id)}`);
      await reload();
    } catch (caught) {
      setActionError(errorMessage(caught));
    }
  };

  return (
    <section className="card" aria-labelledby="push-title">
      <h2 id="push-title">Push notifications on this device</h2>
      <p className="muted small">
        A notification says only that something waits, and its risk tier; you see the details after opening it here.
      </p>
      {supported ? (
        <button type="button" className="button primary" onClick={() => void enable()} disabled={busy}>
          {busy ? 'Turning on…' : 'Enable notifications on this device'}
        </button>
      ) : (
        <p>This browser cannot receive push notifications.</p>
      )}
      <Feedback notice={notice} error={actionError} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && data.subscriptions.length > 0 && (
        <>
          <h3>Devices that get notifications</h3>
          <ul className="settings-list" aria-label="Devices that get notifications">
            {data.subscriptions.map((subscription) => (
              <li key={subscription.id}>
                <span className="item-main">
                  via {subscription.endpoint_origin}
                  <br />
                  <span className="muted small">
                    Since {formatDateTime(subscription.created_at)}
                    {subscription.last_sent_at ? `, last notified ${formatDateTime(subscription.last_sent_at)}` : ''}
                  </span>
                </span>
                <button
                  type="button"
                  className="button small"
                  onClick={() => void remove(subscription)}
                  aria-label={`Stop notifications via ${subscription.endpoint_origin}`}
                >
                  Stop
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** Why a channel may not reach the person, beside its checkboxes (null: nothing to say). */
function channelNote(channel: ChannelPreferences['channels'][number]): string | null {
  if (!channel.configured) return 'not set up on this Countersign';
  if (channel.set_up !== false) return null;
  if (channel.channel === 'web_push') return 'no device has push notifications on (turn them on below)';
  if (channel.channel === 'slack') return 'not linked yet: Countersign finds you by your email at the first message';
  return 'not set up for you';
}

/** Per tier, the channels Countersign reaches the person on: within what the taxonomy allows, never none. */
function ChannelPreferencesSection() {
  const { data, error, reload } = useResource<ChannelPreferences>('/v1/me/channel-preferences');
  const [choice, setChoice] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const noteIds = useId();

  useEffect(() => {
    if (data) setChoice(Object.fromEntries(data.tiers.map((tier) => [tier.tier, tier.chosen ?? tier.allowed])));
  }, [data]);

  const toggle = (tier: string, channel: string, on: boolean) => {
    setNotice(null);
    setChoice((current) => {
      const chosen = new Set(current[tier] ?? []);
      if (on) chosen.add(channel);
      else chosen.delete(channel);
      return { ...current, [tier]: [...chosen] };
    });
  };

  const save = async () => {
    if (!data) return;
    setActionError(null);
    setNotice(null);
    const empty = data.tiers.find((tier) => (choice[tier.tier] ?? []).length === 0);
    if (empty) {
      setActionError(`Choose at least one channel for the ${empty.tier} tier: Countersign must be able to reach you for it.`);
      return;
    }
    setBusy(true);
    try {
      // Every allowed channel is the same as no preference: stored as none, so a channel the tier adds later is used too.
      const preferences = Object.fromEntries(
        data.tiers.map((tier) => {
          const chosen = choice[tier.tier] ?? [];
          return [
            tier.tier,
            tier.allowed.every((channel) => chosen.includes(channel)) ? null : tier.allowed.filter((c) => chosen.includes(c)),
          ];
        }),
      );
      await api.put<ChannelPreferences>('/v1/me/channel-preferences', { preferences });
      await reload();
      setNotice('Notification settings saved. New approval requests reach you on the channels chosen above.');
    } catch (caught) {
      setActionError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Notifications</h2>
      <p className="muted small">
        For each risk tier, choose where Countersign reaches you about requests you may decide. The taxonomy decides which channels a tier
        may use; you keep at least one. If none of your choices can reach you (say, push with no device turned on), every channel of the
        tier is used.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && data.tiers.length === 0 && <p>No tier of the current taxonomy asks people to decide.</p>}
      {data && data.tiers.length > 0 && (
        <form
          className="channel-preferences"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          {data.channels.some((channel) => channelNote(channel)) && (
            <ul className="muted small channel-notes">
              {data.channels.map(
                (channel) =>
                  channelNote(channel) && (
                    <li key={channel.channel} id={`${noteIds}-${channel.channel}`}>
                      {channelLabel(channel.channel)}: {channelNote(channel)}
                    </li>
                  ),
              )}
            </ul>
          )}
          {data.tiers.map((tier) => {
            const fallback = tier.chosen !== null && tier.used.length > tier.chosen.length;
            return (
              <fieldset key={tier.tier} className="channel-tier">
                <legend>
                  <TierBadge tier={tier.tier} /> <span className="visually-hidden">tier</span>
                </legend>
                <div className="channel-options">
                  {data.channels.map((channel) => {
                    const allowed = tier.allowed.includes(channel.channel);
                    const note = channelNote(channel);
                    return (
                      <label key={channel.channel} className={allowed ? undefined : 'muted'}>
                        <input
                          type="checkbox"
                          name={`${tier.tier}:${channel.channel}`}
                          checked={allowed && (choice[tier.tier] ?? []).includes(channel.channel)}
                          disabled={!allowed || busy}
                          aria-describedby={allowed && note ? `${noteIds}-${channel.channel}` : undefined}
                          onChange={(event) => toggle(tier.tier, channel.channel, event.target.checked)}
                        />{' '}
                        {channelLabel(channel.channel)}
                        {!allowed && <span className="small"> (not used for this tier)</span>}
                      </label>
                    );
                  })}
                </div>
                {fallback && <p className="small notice">None of your choices can reach you now, so every channel of this tier is used.</p>}
              </fieldset>
            );
          })}
          {data.ignored.length > 0 && (
            <p className="muted small">
              Kept but not used (the taxonomy has no such tier that asks people now):{' '}
              {data.ignored.map((entry) => `${entry.tier} (${entry.chosen.map(channelLabel).join(', ')})`).join('; ')}.
            </p>
          )}
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save notification settings'}
          </button>
          <Feedback notice={notice} error={actionError} />
        </form>
      )}
    </section>
  );
}

function SlackSection() {
  const { data, error } = useResource<{ slack: SlackLink | null }>('/v1/me/slack');
  return (
    <section className="card" aria-labelledby="slack-title">
      <h2 id="slack-title">Slack</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data &&
        (data.slack ? (
          <p>
            Linked to Slack user <code>{data.slack.slack_user_id}</code> in workspace <code>{data.slack.team_id}</code>
            {data.slack.enterprise_id && (
              <>
                {' '}
                (grid <code>{data.slack.enterprise_id}</code>)
              </>
            )}
            , {data.slack.linked_by === 'admin' ? 'linked by an admin' : 'found by your email address'}. Approval requests come to you as
            direct messages.
          </p>
        ) : (
          <p>
            Not linked. If Countersign is connected to Slack, it finds you by your email address at your first notification; an admin can
            also link you.
          </p>
        ))}
    </section>
  );
}

function SessionsSection() {
  const { data, error } = useResource<{ sessions: SessionView[] }>('/v1/me/sessions');
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are signed in</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <ul className="settings-list" aria-label="Your sessions">
          {data.sessions.map((session) => (
            <li key={session.id}>
              <span className="item-main">
                {describeAgent(session.user_agent)}
                {session.current && <span className="tag">this device</span>}
                <br />
                <span className="muted small">
                  Signed in {formatDateTime(session.created_at)}, last active {formatDateTime(session.last_seen_at)}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function describePermissions(permissions: string[]): string {
  if (permissions.includes('*')) return 'You may approve any kind of action.';
  if (permissions.length === 0) return 'You may not approve any action yet; ask an admin for permissions.';
  return `You may approve actions matching ${permissions.join(', ')}.`;
}

/** A short name for a browser from its user agent ("Chrome on Linux"). */
function describeAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'A browser';
  const system = /iPhone|iPad/.test(userAgent)
    ? 'iOS'
    : /Android/.test(userAgent)
      ? 'Android'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : 'an unknown system';
  return `${browser} on ${system}`;
}
