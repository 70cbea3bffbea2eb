import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './redis-server.js';

/** A throwaway PostgreSQL server started by a test, in its own temp directory; only it is ever stopped. */
export interface PostgresServerHandle {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  /** Fast shutdown (SIGINT), then starts again on the same port and data. */
  restart(): Promise<void>;
  /** Fast shutdown and removal of the data directory. */
  stop(): Promise<void>;
}

/** Running servers: the launching child and the data directory holding the postmaster's pid. */
const started = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, data] of started) {
    try {
      const postmaster = postmasterPid(data);
      if (postmaster !== undefined) process.kill(postmaster, 'SIGQUIT');
    } catch {
      // already gone
    }
    child.kill('SIGKILL');
  }
});

const bindir = (): string => {
  const result = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error('pg_config not found: install PostgreSQL server binaries');
  return result.stdout.trim();
};

// NOTE: PostgreSQL refuses to run as root; as root the server runs as the `postgres` OS user.
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** initdb in a temp dir and starts `postgres` on a free port with `wal_level` (default `logical`). */
export async function startPostgresServer(options: { walLevel?: 'logical' | 'replica' } = {}): Promise<PostgresServerHandle> {
  const bin = bindir();
  const dir = mkdtempSync(join(tmpdir(), 'tiered-cache-pg-'));
  if (process.getuid?.() === 0) {
    const user = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (user.status !== 0) throw new Error('running as root and there is no postgres OS user to run PostgreSQL as');
    chownSync(dir, Number(user.stdout), Number(group.stdout));
  }
  const data = join(dir, 'data');
  // NOTE: 1 MB WAL segments let a test exceed max_slot_wal_keep_size with little WAL.
  const [initdb, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions', '--wal-segsize=1']);
  const init = spawnSync(initdb, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const settings = [
    `wal_level=${options.walLevel ?? 'logical'}`,
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${dir}`,
    'fsync=off',
    'full_page_writes=off',
    'shared_buffers=16MB',
    'max_wal_senders=40',
    'max_replication_slots=40',
  ];
  const args = ['-D', data, '-p', String(port), ...settings.flatMap((setting) => ['-c', setting])];
  let child = await launch(join(bin, 'postgres'), args, port, data);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    url,
    async restart() {
      await shutdown(child, data);
      child = await launch(join(bin, 'postgres'), args, port, data);
    },
    async stop() {
      await shutdown(child, data);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(postgres: string, args: string[], port: number, data: string): Promise<ChildProcess> {
  const [command, commandArgs] = asServerUser(postgres, args);
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.set(child, data);
  child.once('exit', () => started.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres on port ${port} exited: ${stderr}`);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return child;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  await shutdown(child, data);
  throw new Error(`postgres on port ${port} did not accept connections within 30s: ${stderr}`);
}

// NOTE: signals go to the postmaster itself (its pid file), not to `runuser`, which may not forward them.
async function shutdown(child: ChildProcess, data: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const postmaster = postmasterPid(data) ?? child.pid;
  if (postmaster !== undefined) process.kill(postmaster, 'SIGINT');
  const timer = setTimeout(() => {
    if (postmaster !== undefined) process.kill(postmaster, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
