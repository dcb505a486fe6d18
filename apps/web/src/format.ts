import { useEffect } from 'react';

/** "4 min 12 s left", "2 h 5 min left", or "expired". */
export function timeLeft(expiresAt: string, now: number): string {
  const seconds = Math.floor((Date.parse(expiresAt) - now) / 1000);
  if (seconds <= 0) return 'expired';
  if (seconds < 60) return `${seconds} s left`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s left`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min left`;
  return `${Math.floor(hours / 24)} days left`;
}

export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "payments.refund" → "Payments: refund". */
export function actionLabel(type: string): string {
  const [head, ...rest] = type.split('.');
  const words = (value: string) => value.replace(/[_-]+/g, ' ');
  return rest.length === 0 ? words(type) : `${words(head[0].toUpperCase() + head.slice(1))}: ${words(rest.join(' '))}`;
}

export const TIER_LABELS: Record<string, string> = {
  low: 'Low risk',
  medium: 'Medium risk',
  high: 'High risk',
  critical: 'Critical',
  forbidden: 'Forbidden',
};

const CHANNEL_LABELS: Record<string, string> = { slack: 'Slack', web_push: 'Push', email: 'Email', teams: 'Microsoft Teams' };

/** A channel as people read it ("Push" for `web_push`); a channel this build does not know by its name. */
export function channelLabel(channel: string): string {
  return CHANNEL_LABELS[channel] ?? channel;
}

/** A delivery's state as the approval page says it. */
export const DELIVERY_STATE_LABELS: Record<string, string> = {
  queued: 'being sent',
  sent: 'sent',
  failed: 'failed',
  gone: 'subscription gone',
  unreachable: 'unreachable',
  off: 'off on this Countersign',
  not_chosen: 'not chosen',
};

/** The tab's title: "Inbox · Countersign". */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Countersign` : 'Countersign';
  }, [title]);
}
