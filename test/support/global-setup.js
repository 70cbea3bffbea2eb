// Jest global setup (plain ESM: Jest loads it outside the ts-jest transform and module mapper).
// Starts one throwaway redis-server for the run unless REDIS_URL is set; test workers inherit
// REDIS_URL, and TEST_REDIS_PID names the process global-teardown.js stops.
import { spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

const INSTALL_HINT = 'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves whether 127.0.0.1:port answers a raw PING within 500ms. */
function ping(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export default async function globalSetup() {
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).error) throw new Error(INSTALL_HINT);
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.once('error', () => undefined);
  process.once('exit', () => child.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || child.pid === undefined) throw new Error(`redis-server on port ${port} exited at startup`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within 10s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  globalThis.__testRedis = child;
  process.env.TEST_REDIS_PID = String(child.pid);
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
}
