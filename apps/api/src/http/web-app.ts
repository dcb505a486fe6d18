import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import { type FastifyInstance, type FastifyReply } from 'fastify';
import { type CountersignConfig } from '@countersign/config';

/**
 * The web app's own routes: each answers with index.html and the client-side router takes over. An allow-list,
 * not a catch-all, so an unknown path under /v1, /oauth, /slack, /docs... stays a JSON 404.
 */
export const WEB_APP_ROUTES = ['/', '/sign-in', '/enroll', '/inbox', '/settings', '/approvals/*', '/admin', '/admin/*'] as const;

/** Where the built app is: WEB_ROOT, else `dist/web` of the installation (the same from dist/ and from sources). */
export function webRootFor(config: CountersignConfig): string {
  return config.webRoot ?? join(installationRoot(__dirname), 'dist', 'web');
}

function installationRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json')) && existsSync(join(folder, 'bin', 'countersign.js'))) return folder;
    if (dirname(folder) === folder) return process.cwd();
  }
}

/**
 * Headers for the app's HTML and scripts. The CSP allows only our own scripts (Vite emits no inline script),
 * styles and images, API calls and the live socket to our own origin, and no framing.
 */
export function webSecurityHeaders(config: CountersignConfig): Record<string, string> {
  const origin = new URL(config.publicUrl);
  const socketOrigin = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`;
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${socketOrigin}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}

/**
 * Serves the built web app: hashed files under /assets cached for a year, everything else (index.html, sw.js)
 * revalidated or never stored. Without a build (an API-only deployment, most test suites) nothing is registered.
 */
export async function registerWebApp(fastify: FastifyInstance, config: CountersignConfig): Promise<{ root: string } | null> {
  const root = webRootFor(config);
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) return null;
  const headers = webSecurityHeaders(config);
  const index = readFileSync(indexFile);
  const assets = join(root, 'assets') + sep;

  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per file present at start-up, no wildcard route that would shadow the API's 404s.
    wildcard: false,
    index: false,
    cacheControl: false,
    dotfiles: 'deny',
    globIgnore: ['index.html'],
    setHeaders: (reply, path) => {
      void reply.headers({ ...headers, 'cache-control': path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache' });
    },
  });

  const sendIndex = (_request: unknown, reply: FastifyReply) => {
    void reply.headers({ ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).send(index);
  };
  for (const url of WEB_APP_ROUTES) fastify.get(url, sendIndex);
  return { root };
}
