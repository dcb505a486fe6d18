/* Countersign's service worker: shows web push notifications and opens the approval they are about.
   The push payload carries no action details (an opaque id, a generic title and the tier): the page fetches
   the details after the person has signed in. */
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function parse(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch {
    return {};
  }
}

function approvalPath(id) {
  return typeof id === 'string' && /^[0-9a-fA-F-]{36}$/.test(id) ? '/approvals/' + id : '/inbox';
}

self.addEventListener('push', (event) => {
  const data = parse(event);
  const id = data.approval_id || data.id;
  const title = typeof data.title === 'string' ? data.title : 'An approval is waiting for you';
  const tier = typeof data.tier === 'string' ? data.tier : null;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: tier ? 'Risk tier: ' + tier + '. Open Countersign to review it.' : 'Open Countersign to review it.',
      tag: typeof id === 'string' ? 'approval-' + id : 'countersign',
      icon: '/favicon.svg',
      data: { path: approvalPath(id) },
      requireInteraction: tier === 'high' || tier === 'critical',
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.path) || '/inbox';
  const url = new URL(path, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin && 'navigate' in client) {
          return client
            .focus()
            .then(() => client.navigate(url))
            .catch(() => self.clients.openWindow(url));
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
