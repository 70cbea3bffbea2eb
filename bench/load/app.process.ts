import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/** A Nest app started by the load bench as a child process; only what the bench started is ever stopped. */
export interface AppProcess {
  name: string;
  origin: string;
  /** Lines the process wrote to stdout and stderr so far. */
  readonly outputLines: number;
  /** The last lines it wrote (at most 200), for samples and errors. */
  readonly recentLines: readonly string[];
  /** Sends a signal (e.g. to toggle the CPU profiler). */
  signal(signal: NodeJS.Signals): void;
  /** `SIGTERM` (or `signal`), `SIGKILL` after 10 s; resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns `node <args>` with `env` and waits until `GET readyPath` answers 200 (60 s at most). */
export async function startApp(name: string, port: number, args: readonly string[], env: NodeJS.ProcessEnv, readyPath: string): Promise<AppProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const app = trackOutput(name, `http://127.0.0.1:${port}`, child);
  const deadline = Date.now() + 60_000;
  while (!(await answers(app.origin + readyPath))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await app.stop();
      throw new Error(`${name} did not start:\n${app.recentLines.slice(-20).join('\n')}`);
    }
    await sleep(200);
  }
  return app;
}

function trackOutput(name: string, origin: string, child: ChildProcess): AppProcess {
  let outputLines = 0;
  const recentLines: string[] = [];
  const onData = (chunk: Buffer): void => {
    const lines = chunk.toString().split('\n').filter((line) => line !== '');
    outputLines += lines.length;
    recentLines.push(...lines);
    if (recentLines.length > 200) recentLines.splice(0, recentLines.length - 200);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  return {
    name,
    origin,
    get outputLines() {
      return outputLines;
    },
    recentLines,
    signal(signal) {
      child.kill(signal);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await request(url);
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/** `GET origin + path` as JSON. */
export async function getJson<T>(origin: string, path: string): Promise<T> {
  const response = await request(origin + path);
  if (response.statusCode !== 200) throw new Error(`GET ${origin}${path} answered ${response.statusCode}`);
  return (await response.body.json()) as T;
}
