import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import globalSetup from './global-setup';

const ROOT = join(__dirname, '..', '..');
const SOURCES = join(ROOT, 'apps', 'web');
const BUILT_INDEX = join(ROOT, 'dist', 'web', 'index.html');

function newestChange(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The browser suites need the built web app (the API serves dist/web): build it unless it is up to date. */
export default async function browserGlobalSetup(): Promise<void> {
  if (!existsSync(BUILT_INDEX) || statSync(BUILT_INDEX).mtimeMs < newestChange(SOURCES)) {
    // Jest sets NODE_ENV=test, which would bundle React's development build.
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'apps/web', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
  }
  await globalSetup();
}
