import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Cacheable } from 'nestjs-tiered-cache';
import { Packr } from 'msgpackr';
import { uniqueNamespace, waitFor } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { now, printFigures, sleep, Violations } from './support/fault-figures.js';
import { spawnFaultWorker, type FaultWorker } from './support/fault-worker.client.js';
import { busChannel, entryKey } from './support/redis-inspect.js';

// Items 1, 2 and 25 of issue 7: hostile bytes on the bus or in an entry crash nothing, reject
// nothing, and the loader's value is served.
const packr = new Packr({ useRecords: false });

/** Messages on the bus channel that are not a valid invalidation. */
const MALFORMED_MESSAGES: [string, Buffer][] = [
  ["['x', {length: 1}, [], false]", packr.pack(['x', { length: 1 }, [], false])],
  ["['x', {length: 1e9}, {length: 1e9}, true]", packr.pack(['x', { length: 1e9 }, { length: 1e9 }, true])],
  ["['x', null, null, null]", packr.pack(['x', null, null, null])],
  ["['x', [1, {}], 'tags', 1]", packr.pack(['x', [1, {}], 'tags', 1])],
  ["['x', [{toString: 1}], [[]], 'yes']", packr.pack(['x', [{ toString: 1 }], [[]], 'yes'])],
  ['[] / null / "text"', Buffer.concat([packr.pack([]), packr.pack(null), packr.pack('text')])],
  ['64 random bytes', randomBytes(64)],
  ['0xc1 (never-used MessagePack byte)', Buffer.from([0xc1])],
  ['empty', Buffer.alloc(0)],
  ['plain text', Buffer.from('invalidate everything')],
];

/** A decorated read, to check that `@Cacheable` also treats a bad entry as a miss. */
@Injectable()
class Catalog {
  calls = 0;

  @Cacheable({ key: 'decorated:{0}' })
  async find(_name: string): Promise<string> {
    this.calls += 1;
    return 'loaded';
  }
}

describe('fault: hostile input', () => {
  const env = useFaultEnvironment();
  const { apps } = env;
  let namespace: string;
  const workers: FaultWorker[] = [];

  beforeEach(async () => {
    namespace = uniqueNamespace('hostile');
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill('SIGKILL')));
  });

  it('a malformed bus message crashes no subscriber, and the bus keeps working', async () => {
    // NOTE: subscribers run in child processes: a throw in ioredis' reply handler ends the process.
    const options = { namespace, l2: { redis: env.server.url } };
    const [reader, writer] = await Promise.all([spawnFaultWorker(options), spawnFaultWorker(options)]);
    workers.push(reader, writer);
    await writer.call('set', ['k', 'v1']);
    expect(await reader.call('get', ['k'])).toBe('v1');

    for (const [, payload] of MALFORMED_MESSAGES) await env.direct.publish(busChannel(namespace), payload);
    await sleep(500);
    const alive = [reader, writer].filter((worker) => worker.exit === undefined).length;
    const answered = await reader.call('get', ['k']).then(
      () => 'yes',
      (error: Error) => error.message,
    );
    const started = now();
    const coherent = await writer
      .call('set', ['k', 'v2'])
      .then(() => waitFor(async () => (await reader.call('get', ['k'])) === 'v2', { timeout: 5_000, interval: 25 }))
      .then(
        () => `${Math.round(now() - started)}ms`,
        (error: Error) => `no (${error.message})`,
      );

    printFigures('malformed bus messages', {
      sent: MALFORMED_MESSAGES.length,
      'instances alive': `${alive}/2`,
      exits: JSON.stringify([reader.exit, writer.exit].filter(Boolean)),
      'reader answers': answered,
      'next invalidation delivered': coherent,
    });
    const violations = new Violations();
    violations.check(alive === 2, `a subscriber process died: ${JSON.stringify([reader.exit, writer.exit])} (messages: ${MALFORMED_MESSAGES.map(([name]) => name).join('; ')})`);
    violations.check(answered === 'yes', `the reader no longer answers: ${answered}`);
    violations.check(!coherent.startsWith('no'), `a later invalidation was not delivered: ${coherent}`);
    expect(violations.list).toEqual([]);
  }, 60_000);

  it('a corrupt, truncated, foreign or mistyped entry is a miss: no rejection, the loader’s value is served', async () => {
    const writer = await apps.start({ namespace, l2: { redis: env.server.url } });
    await writer.cache.set('template', { id: 1, name: 'a real entry', tags: ['x'] }, { tags: ['t'] });
    const real = await env.direct.getBuffer(entryKey(namespace, 'template'));
    if (!real) throw new Error('the template entry was not written');
    const ttl = 60_000;
    const withNaN = Buffer.from(real);
    withNaN.writeDoubleBE(Number.NaN, 9);
    withNaN.writeDoubleBE(Number.NaN, 17);
    const hugeTagLength = Buffer.from(real);
    hugeTagLength.writeUInt32BE(0xffffffff, 33);
    const corruptValue = Buffer.from(real);
    corruptValue.fill(0xc1, real.length - 12);
    const tampered: Record<string, Buffer | 'list'> = {
      'not an envelope': Buffer.from('hello world'),
      'random bytes': randomBytes(200),
      'marker then garbage': Buffer.concat([Buffer.from([0xc1]), randomBytes(120)]),
      truncated: real.subarray(0, real.length - 5),
      'value bytes corrupt': corruptValue,
      'tag length 2^32-1': hugeTagLength,
      'NaN timestamps': withNaN,
      'a Redis list (WRONGTYPE)': 'list',
    };
    for (const [name, bytes] of Object.entries(tampered)) {
      for (const key of [name, `decorated:${name}`]) {
        if (bytes === 'list') await env.direct.rpush(entryKey(namespace, key), 'x');
        else await env.direct.set(entryKey(namespace, key), bytes, 'PX', ttl);
      }
    }

    const reader = await apps.start({ namespace, l2: { redis: env.server.url } }, [Catalog]);
    const catalog = reader.app.get(Catalog);
    const outcome = async (read: () => Promise<unknown>): Promise<string> =>
      read().then(
        (value) => (value === undefined ? 'miss' : typeof value === 'string' ? value : `served ${JSON.stringify(value)}`),
        (error: Error) => `rejected (${error.message})`,
      );
    const results: Record<string, { get: string; getOrSet: string; cacheable: string }> = {};
    let loaderCalls = 0;
    for (const name of Object.keys(tampered)) {
      const get = await outcome(() => reader.cache.get(name));
      const getOrSet = await outcome(() => reader.cache.getOrSet(name, async () => (loaderCalls += 1, 'loaded')));
      const cacheable = await outcome(() => catalog.find(name));
      results[name] = { get, getOrSet, cacheable };
    }

    printFigures('corrupt entries', {
      cases: Object.keys(tampered).length,
      'loader calls (getOrSet/@Cacheable)': `${loaderCalls}/${catalog.calls}`,
      ...Object.fromEntries(Object.entries(results).map(([name, result]) => [name, `get→${result.get}, getOrSet→${result.getOrSet}, @Cacheable→${result.cacheable}`])),
    });
    const violations = new Violations();
    for (const [name, result] of Object.entries(results)) {
      violations.check(result.get === 'miss', `${name}: get → ${result.get}`);
      violations.check(result.getOrSet === 'loaded', `${name}: getOrSet → ${result.getOrSet}`);
      violations.check(result.cacheable === 'loaded', `${name}: @Cacheable → ${result.cacheable}`);
    }
    expect(violations.list).toEqual([]);
  }, 30_000);
});
