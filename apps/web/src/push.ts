import { api } from './api';

import { type PushSubscriptionView } from '@countersign/contract';

export type { PushSubscriptionView };

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** base64url (the VAPID public key) → the bytes PushManager.subscribe takes. */
export function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(value.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/**
 * Turns on push for this browser: permission, the service worker at /sw.js, a PushManager subscription with
 * Countersign's VAPID key, and the subscription registered with the API.
 */
export async function enablePush(): Promise<PushSubscriptionView> {
  if (!pushSupported())
    throw new Error('This browser cannot receive push notifications. On an iPhone, add Countersign to the home screen first.');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted')
    throw new Error('Notifications are blocked for Countersign in this browser. Allow them in the site settings, then try again.');
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  const { public_key: publicKey } = await api.get<{ public_key: string }>('/v1/push/public-key');
  const existing = await registration.pushManager.getSubscription();
  const subscription =
    existing ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(publicKey) }));
  return api.post<PushSubscriptionView>('/v1/me/push-subscriptions', subscription.toJSON());
}
