import { rm, writeFile } from 'node:fs/promises';

/**
 * How often a working worker touches its heartbeat file (WORKER_HEARTBEAT_FILE). The worker has no HTTP port, so
 * docker-compose.yml's healthcheck judges it by the file's age; it allows three missed beats.
 */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/** Touches a file while `working()` holds, so a stuck or disconnected worker goes stale instead of looking alive. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly working: () => boolean,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** One beat: writes the file when the worker is working; says whether it did. */
  async beat(): Promise<boolean> {
    if (!this.working()) return false;
    try {
      await writeFile(this.file, `${new Date().toISOString()}\n`);
      return true;
    } catch (error) {
      this.onError(error as Error);
      return false;
    }
  }

  /** A stopped worker leaves no fresh file behind for a check to mistake for life. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await rm(this.file, { force: true });
  }
}
