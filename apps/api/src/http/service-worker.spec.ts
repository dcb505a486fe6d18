import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

// The web app's service worker (apps/web/public/sw.js, served at /sw.js), run against a stand-in for the
// ServiceWorkerGlobalScope: Chromium headless has no push service, so this is where its handlers are exercised.
const SOURCE = readFileSync(join(__dirname, '..', '..', '..', 'web', 'public', 'sw.js'), 'utf8');
const ID = '0b9a3c57-2f0e-4a55-9a43-8f1c2d3e4f50';

type Listener = (event: Record<string, unknown>) => void;

function load(windows: Array<{ url: string; focus: jest.Mock; navigate: jest.Mock }> = []) {
  const listeners: Record<string, Listener> = {};
  const shown: Array<{ title: string; options: { body: string; tag: string; data: { path: string }; requireInteraction: boolean } }> = [];
  const opened: string[] = [];
  const self = {
    location: { origin: 'https://approve.example.com' },
    addEventListener: (type: string, listener: Listener) => (listeners[type] = listener),
    skipWaiting: () => Promise.resolve(),
    registration: {
      showNotification: (title: string, options: (typeof shown)[number]['options']) => Promise.resolve(void shown.push({ title, options })),
    },
    clients: {
      claim: () => Promise.resolve(),
      matchAll: () => Promise.resolve(windows),
      openWindow: (url: string) => Promise.resolve(void opened.push(url)),
    },
  };
  runInNewContext(SOURCE, { self, URL });
  const dispatch = async (type: string, event: Record<string, unknown>) => {
    let pending: Promise<unknown> = Promise.resolve();
    listeners[type]({ ...event, waitUntil: (promise: Promise<unknown>) => (pending = promise) });
    await pending;
  };
  return { shown, opened, dispatch };
}

const pushEvent = (payload: Record<string, unknown>) => ({ data: { json: () => payload } });

describe('the service worker (sw.js)', () => {
  it('shows a generic notification from the opaque payload, pointing at the approval', async () => {
    const worker = load();
    await worker.dispatch(
      'push',
      pushEvent({ type: 'approval.requested', approval_id: ID, title: 'An approval is waiting for you', tier: 'high' }),
    );
    expect(worker.shown).toEqual([
      {
        title: 'An approval is waiting for you',
        options: expect.objectContaining({ tag: `approval-${ID}`, data: { path: `/approvals/${ID}` }, requireInteraction: true }),
      },
    ]);
    expect(worker.shown[0].options.body).toBe('Risk tier: high. Open Countersign to review it.');
  });

  it('opens the approval page when the notification is clicked, in a new window when none is open', async () => {
    const worker = load();
    const close = jest.fn();
    await worker.dispatch('notificationclick', { notification: { close, data: { path: `/approvals/${ID}` } } });
    expect(close).toHaveBeenCalled();
    expect(worker.opened).toEqual([`https://approve.example.com/approvals/${ID}`]);
  });

  it('reuses an open Countersign window: focuses it and navigates it to the approval', async () => {
    const window = {
      url: 'https://approve.example.com/inbox',
      focus: jest.fn(() => Promise.resolve()),
      navigate: jest.fn(() => Promise.resolve()),
    };
    const worker = load([window]);
    await worker.dispatch('notificationclick', { notification: { close: jest.fn(), data: { path: `/approvals/${ID}` } } });
    expect(window.focus).toHaveBeenCalled();
    expect(window.navigate).toHaveBeenCalledWith(`https://approve.example.com/approvals/${ID}`);
    expect(worker.opened).toEqual([]);
  });

  it('never turns a payload into a link elsewhere: an id that is not a uuid opens the inbox', async () => {
    const worker = load();
    await worker.dispatch('push', pushEvent({ approval_id: '//evil.example/x', title: 'An approval is waiting for you', tier: 'low' }));
    expect(worker.shown[0].options.data.path).toBe('/inbox');
    expect(worker.shown[0].options.requireInteraction).toBe(false);
  });

  it('survives a push without a readable payload', async () => {
    const worker = load();
    await worker.dispatch('push', {
      data: {
        json: () => {
          throw new SyntaxError('not JSON');
        },
      },
    });
    expect(worker.shown).toEqual([
      { title: 'An approval is waiting for you', options: expect.objectContaining({ data: { path: '/inbox' } }) },
    ]);
  });
});
