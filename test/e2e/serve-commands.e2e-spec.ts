import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { testEnv } from '@countersign/testing';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'test', 'support', 'processes', 'register.js');
/** Far longer than a failed start takes; a process still running then would run until killed. */
const EXIT_WITHIN_MS = 45_000;

jest.setTimeout(EXIT_WITHIN_MS + 15_000);

/** `countersign <command>` from the sources as its own process; resolves with its exit code and stderr, or null if it keeps running. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string } | null> {
  const child = spawn(process.execPath, ['-r', REGISTER, join(ROOT, 'test', 'support', 'processes', 'cli-main.ts'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, EXIT_WITHIN_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/**
 * A server command that cannot start must end, with exit code 1 and the reason: a process that printed an error but
 * kept its connections open ran on without serving, and a supervisor restarts only a process that has exited.
 */
describe('a server command that cannot start exits', () => {
  let busy: Server;
  let port: number;

  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('`api` on a port another process holds: exit code 1, naming the port', async () => {
    const ended = await run(['api'], testEnv({ PORT: String(port), PUBLIC_URL: `http://localhost:${port}` }));
    expect(ended).not.toBeNull();
    expect(ended!.code).toBe(1);
    expect(ended!.stderr).toContain(`address already in use 0.0.0.0:${port}`);
  });
});
