// Jest global setup (plain ESM: Jest loads it outside the ts-jest transform and module mapper).
// Starts one throwaway redis-server for the run unless REDIS_URL is set; test workers inherit REDIS_URL.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, createConnection } from 'node:net';

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

function ping(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

export default async function globalSetup() {
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL');
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  globalThis.__testRedis = child;
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
}
