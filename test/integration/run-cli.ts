import { main } from '../../apps/cli/src';

// eslint-disable-next-line no-control-regex
const NEST_CONSOLE_LINE = /^(\x1b\[\d+m)?\[Nest\] \d+ /;

/** Runs the CLI in-process as `npx countersign ...` would, capturing stdout, stderr and the exit code. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    // A line in Nest's console format is another app's (a suite that ran earlier in this process, its last timer
    // firing now), never the CLI's: the CLI logs through pino. One such WARN once broke a --json parse.
    if (!NEST_CONSOLE_LINE.test(String(chunk))) stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  process.exitCode = 0;
  try {
    await main(['node', 'countersign', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}
