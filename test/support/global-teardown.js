// Stops the redis-server that global-setup.js started (Jest runs both in one context); a REDIS_URL
// given from outside is never touched.
export default async function globalTeardown() {
  const child = globalThis.__testRedis;
  if (!child || String(child.pid) !== process.env.TEST_REDIS_PID) return;
  delete process.env.TEST_REDIS_PID;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}
