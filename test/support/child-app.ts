import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './test-redis.js';

/** A Node.js script serving HTTP in a child process. */
export interface ChildApp {
  /** Sends SIGTERM (a graceful Nest shutdown) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts `script` with `env` added, and resolves once `readyUrl` answers with `isReady` (any answer by default). */
export async function startChildApp(
  script: string,
  env: Record<string, string>,
  readyUrl: string,
  isReady: (response: Response) => boolean = () => true,
): Promise<ChildApp> {
  const child: ChildProcess = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => {
      const response = await fetch(readyUrl).catch(() => undefined);
      return response !== undefined && isReady(response);
    }, { timeout: 30_000, interval: 200 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
