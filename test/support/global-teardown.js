// Stops the redis-server that global-setup.js started (Jest runs both in one context).
export default async function globalTeardown() {
  const child = globalThis.__testRedis;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}
