import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisUrl, uniqueNamespace } from '../support/test-redis.js';

/**
 * The library as a user gets it: `npm pack`ed, installed from the tarball into apps outside the
 * workspace (their own package.json, from the npm cache), type-checked with their own tsconfig, run.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LIBRARY = join(REPO, 'libs/cache');
const FIXTURES = join(REPO, 'test/consumer/fixtures');
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

// NOTE: the budget leaves room to grow; a jump past it means something that is not the library got packed.
const PACKED_BUDGET = 256 * 1024;
const UNPACKED_BUDGET = 1024 * 1024;
const PACKED_FILE = /^(package\.json|README\.md|LICENSE|dist\/[\w./-]+\.(js|d\.ts))$/;
const OPTIONAL_PEERS = ['bullmq', 'prom-client', '@nestjs/terminus', 'cron', '@nestjs/schedule', '@willsoto/nestjs-prometheus'];

/** One `npm install` shared by the fixtures that run on it. */
interface InstallRoot {
  name: string;
  dependencies: Record<string, string>;
}

const workspaceVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const nest12 = workspaceVersion('@nestjs/core');
const common = {
  '@nestjs/config': workspaceVersion('@nestjs/config'),
  ioredis: workspaceVersion('ioredis'),
  'reflect-metadata': workspaceVersion('reflect-metadata'),
  rxjs: workspaceVersion('rxjs'),
  '@types/node': workspaceVersion('@types/node'),
};
const ROOTS: InstallRoot[] = [
  {
    name: 'nest12',
    dependencies: {
      ...common,
      '@nestjs/common': nest12,
      '@nestjs/core': nest12,
      '@nestjs/platform-express': nest12,
      '@nestjs/platform-fastify': '^12.0.0',
    },
  },
  {
    name: 'nest11',
    dependencies: { ...common, '@nestjs/common': '^11.2.0', '@nestjs/core': '^11.2.0', '@nestjs/platform-express': '^11.2.0' },
  },
];

/** A fixture app: `fixtures/<source>` plus the shared `fixtures/app`, installed in `root`. */
const CONSUMERS = [
  { name: 'esm-express', source: 'esm-express', root: 'nest12' },
  { name: 'esm-fastify', source: 'esm-fastify', root: 'nest12' },
  { name: 'cjs-express', source: 'cjs-express', root: 'nest12' },
  { name: 'nest11-cjs-express', source: 'cjs-express', root: 'nest11' },
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (npm's own variables removed, so `npm test`'s workspace settings do not leak). */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectSuccess(result: Run, what: string): void {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
}

interface Served {
  status: number;
  pid: number;
  body: { text: string; computedBy: number };
}

function servedIn(result: Run): Served {
  const line = result.stdout.split('\n').find((text) => text.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as Served;
}

interface PackedFile {
  path: string;
}

describe('the packed library, installed into consumer apps', () => {
  const started = Date.now();
  let work: string;
  let packed: { filename: string; size: number; unpackedSize: number; files: PackedFile[] };
  const builds = new Map<string, Promise<Run>>();

  beforeAll(async () => {
    if (!existsSync(join(LIBRARY, 'dist/index.js'))) throw new Error("libs/cache/dist is missing: run 'npm run build' first (npm test does it)");
    work = mkdtempSync(join(tmpdir(), 'tiered-cache-consumers-'));
    // NOTE: packs the build npm test just made (prepack would build it again).
    const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], LIBRARY);
    expectSuccess(pack, 'npm pack');
    [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as (typeof packed)[];
    await Promise.all(ROOTS.map((root) => install(root)));
    // NOTE: the consumers compile in parallel (each test awaits its own), the slow part on a busy machine.
    for (const consumer of CONSUMERS) builds.set(consumer.name, compile(consumer));
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`consumer test: ${((Date.now() - started) / 1_000).toFixed(1)}s, tarball ${packed?.size} bytes, ${packed?.files.length} files`);
  });

  async function install(root: InstallRoot): Promise<void> {
    const dir = join(work, root.name);
    mkdirSync(dir);
    const dependencies = { 'nestjs-tiered-cache': `file:../${packed.filename}`, ...root.dependencies };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumers-${root.name}`, private: true, dependencies }, null, 2));
    cpSync(join(FIXTURES, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
    expectSuccess(await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir), `npm install (${root.name})`);
  }

  function compile({ name, source, root }: (typeof CONSUMERS)[number]): Promise<Run> {
    const dir = join(work, root, name);
    cpSync(join(FIXTURES, source), dir, { recursive: true });
    cpSync(join(FIXTURES, 'app'), join(dir, 'app'), { recursive: true });
    return run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], dir);
  }

  it('packs only the compiled library, its typings, README, LICENSE and package.json, within budget', () => {
    const paths = packed.files.map((file) => file.path);

    expect(paths.filter((path) => !PACKED_FILE.test(path))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']));
    expect(paths.filter((path) => path.includes('.spec.'))).toEqual([]);
    expect(packed.size).toBeLessThanOrEqual(PACKED_BUDGET);
    expect(packed.unpackedSize).toBeLessThanOrEqual(UNPACKED_BUDGET);
  });

  it('installs without the optional peers (BullMQ, prom-client, Terminus, cron)', () => {
    for (const root of ROOTS) {
      expect(OPTIONAL_PEERS.filter((name) => existsSync(join(work, root.name, 'node_modules', name)))).toEqual([]);
    }
  });

  it.each(CONSUMERS)('$name: type-checks, and a second process is served from Redis', async ({ name, root }) => {
    const dir = join(work, root, name);
    expectSuccess(await builds.get(name)!, `tsc (${name})`);
    const env = { REDIS_URL: redisUrl(), CACHE_NAMESPACE: uniqueNamespace(name) };
    const main = join(dir, 'dist/main.js');

    const first = await run(process.execPath, [main], dir, env);
    expectSuccess(first, `${name}, first process`);
    const second = await run(process.execPath, [main], dir, env);
    expectSuccess(second, `${name}, second process`);

    expect(servedIn(first)).toMatchObject({ status: 200, body: { text: 'Hello, ada', computedBy: servedIn(first).pid } });
    const fromRedis = servedIn(second);
    expect(fromRedis.pid).not.toBe(servedIn(first).pid);
    expect(fromRedis).toMatchObject({ status: 200, body: { text: 'Hello, ada', computedBy: servedIn(first).pid } });
  }, 90_000);

  it.each([
    { feature: 'WITH_WRITE_BEHIND', peer: 'bullmq' },
    { feature: 'WITH_METRICS', peer: 'prom-client' },
    { feature: 'WITH_WARMER', peer: 'cron' },
  ])('fails at startup naming the package to install when $feature is used without $peer', async ({ feature, peer }) => {
    const main = join(work, 'nest12/esm-express/dist/main.js');
    expectSuccess(await builds.get('esm-express')!, 'tsc (esm-express)');
    const env = { REDIS_URL: redisUrl(), CACHE_NAMESPACE: uniqueNamespace('missing'), [feature]: '1' };

    const result = await run(process.execPath, [main], join(work, 'nest12'), env);

    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('RESULT');
    expect(result.stderr).toContain(`needs the package '${peer}', which is not installed: npm install ${peer}`);
  }, 90_000);
});
