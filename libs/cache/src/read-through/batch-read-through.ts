import type { Logger } from '@nestjs/common';
import { entryValue, type EncodedEntry } from '../serialization/envelope.codec.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { MemoryStore } from '../stores/memory.store.js';
import type { RedisBudget } from '../stores/redis-budget.js';
import type { LockMode } from '../stores/redis.store.js';
import type { TagSnapshot, TieredStore } from '../stores/tiered.store.js';
import { CacheLoadTimeoutError, OperationTimeoutError, errorMessage } from '../cache.errors.js';
import { withTimeout } from '../timing/with-timeout.js';
import { alignResult, type BatchLoader, type BatchPlan } from './batch-plan.js';
import type { LockSettings } from './read-through.js';
import { sleep } from '../timing/sleep.js';

/** The loads running in this process, one per key, which a batch joins and shares its own with. */
export interface SharedLoads {
  join<T>(key: string): Promise<T> | undefined;
  share<T>(key: string, tags: readonly string[], load: Promise<T>): Promise<T>;
}

interface StaleValue {
  value: unknown;
  createdAt: number;
}

/** The state of one batch call: what it found so far, and what it may serve stale. */
interface BatchCall {
  loader: BatchLoader<unknown>;
  plan: BatchPlan;
  refreshing: boolean;
  found: Map<string, unknown>;
  stale: Map<string, StaleValue>;
  /** Keys whose L2 entry was there but not fresh: their locks are taken even if it is rewritten meanwhile. */
  present: Set<string>;
  /** The tags of each key, computed once per call. */
  tags: Map<string, readonly string[]>;
  budget: RedisBudget;
  position: number;
}

const FIRST_POLL_DELAY = 10;
const LONGEST_POLL_DELAY = 100;

/**
 * Read-through of many keys: one L1 pass, one L2 read per slot, one lock request per slot, the loader
 * once with the keys nobody holds, one write per slot. Keys another instance is loading are waited for
 * (or served stale); keys loading in this process are joined. Every write goes through the key's lock
 * and the invalidation log, as a single-key load's does.
 */
export class BatchReadThrough {
  private tokenCounter = 0;

  constructor(
    private readonly l1: MemoryStore | undefined,
    private readonly tiered: TieredStore,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
    private readonly lock: LockSettings,
    private readonly loads: SharedLoads,
  ) {}

  /** Values in the order of `keys` (`undefined` for a key the loader did not return); duplicates are read once. */
  async getMany<T>(keys: readonly string[], loader: BatchLoader<T>, plan: BatchPlan, refreshing: boolean): Promise<(T | undefined)[]> {
    const useL1 = !refreshing && plan.l1 !== false && this.l1 !== undefined;
    const found = new Map<string, unknown>();
    const misses = this.readL1(keys, found, useL1);
    if (misses.length > 0) {
      const call: BatchCall = {
        loader: loader as BatchLoader<unknown>,
        plan,
        refreshing,
        found,
        stale: useL1 ? this.staleInL1(misses) : new Map(),
        present: new Set(),
        tags: new Map(),
        budget: this.tiered.budget(),
        position: this.tiered.position,
      };
      await this.loadMisses(misses, call);
    }
    return keys.map((key) => found.get(key) as T | undefined);
  }

  /** Fills `found` with the fresh L1 entries; returns the other keys, each once. */
  private readL1(keys: readonly string[], found: Map<string, unknown>, useL1: boolean): string[] {
    const misses: string[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = useL1 ? this.l1!.peekFresh(key) : undefined;
      if (entry === undefined) misses.push(key);
      else found.set(key, entry.value);
    }
    if (useL1) {
      this.stats.hits.l1 += seen.size - misses.length;
      this.stats.misses.l1 += misses.length;
    }
    return misses;
  }

  private staleInL1(keys: readonly string[]): Map<string, StaleValue> {
    const stale = new Map<string, StaleValue>();
    const now = Date.now();
    for (const key of keys) {
      const entry = this.l1!.peek(key);
      if (entry !== undefined && entry.staleUntil > now) stale.set(key, { value: entry.value, createdAt: entry.createdAt });
    }
    return stale;
  }

  /** Joins the keys loading in this process; reads, locks and loads the others, sharing their loads meanwhile. */
  private async loadMisses(misses: readonly string[], call: BatchCall): Promise<void> {
    const joinedLoads: Promise<unknown>[] = [];
    const own: string[] = [];
    for (const key of misses) {
      const shared = call.refreshing ? undefined : this.loads.join(key);
      if (shared === undefined) {
        own.push(key);
        continue;
      }
      this.stats.coalesced += 1;
      joinedLoads.push(shared.then((value) => call.found.set(key, value)));
    }
    const joined = Promise.all(joinedLoads);
    // NOTE: handled at once: when the own loads fail first, a joined load's failure must not go unhandled.
    joined.catch(() => undefined);
    for (const key of own) call.tags.set(key, call.plan.tagsOf(key));
    const settle = this.shareLoads(own, call);
    try {
      await this.resolveOwn(own, call);
      settle((key) => ({ value: call.found.get(key) }));
    } catch (error) {
      settle(() => ({ error }));
      throw error;
    }
    await joined;
  }

  /** Lets concurrent single-key reads of `keys` in this process join this batch; returns how to settle them. */
  private shareLoads(keys: readonly string[], call: BatchCall): (outcome: (key: string) => { value: unknown } | { error: unknown }) => void {
    if (call.refreshing) return () => undefined;
    const settlers = new Map<string, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
    for (const key of keys) {
      const load = new Promise<unknown>((resolve, reject) => settlers.set(key, { resolve, reject }));
      this.loads.share(key, call.tags.get(key)!, load).catch(() => undefined);
    }
    return (outcome) => {
      for (const [key, { resolve, reject }] of settlers) {
        const result = outcome(key);
        if ('error' in result) reject(result.error);
        else resolve(result.value);
      }
    };
  }

  private async resolveOwn(keys: readonly string[], call: BatchCall): Promise<void> {
    const missing = call.refreshing ? keys : await this.readL2(keys, call);
    if (missing.length === 0) return;
    // NOTE: one round trip for both: the tag versions the values will record, and the locks of their keys.
    const [snapshot, claim] = await Promise.all([
      this.tiered.snapshotTags(unique(missing.map((key) => call.tags.get(key)!)), call.plan.ttl + call.plan.grace, call.budget),
      this.claim(missing, call.refreshing ? 'take' : 'nx', call, (key) => !call.present.has(key)),
    ]);
    const tags = { ...snapshot, position: call.position };
    this.serveStale(
      claim.held.filter((key) => call.stale.has(key)),
      call,
      'another instance is loading them',
    );
    const waiting = claim.held.filter((key) => !call.stale.has(key));
    const load = (loadKeys: readonly string[], token: string): Promise<void> => this.loadInChunks(loadKeys, token, tags, call);
    await Promise.all([load(claim.taken, claim.token), this.awaitOthers(waiting, call, load)]);
  }

  /** Reads L2 once (per slot), promoting fresh entries; returns the keys still missing, noting stale values. */
  private async readL2(keys: readonly string[], call: BatchCall): Promise<readonly string[]> {
    if (!this.tiered.l2) return keys;
    const entries = await this.tiered.readManyL2(keys, call.budget, unique(keys.map((key) => call.tags.get(key)!)));
    const missing: string[] = [];
    const now = Date.now();
    keys.forEach((key, index) => {
      const entry = entries[index];
      if (entry !== undefined && entry.freshUntil > now) {
        this.stats.hits.l2 += 1;
        call.found.set(key, this.tiered.promote(key, entry, call.position, call.plan.l1));
        return;
      }
      this.stats.misses.l2 += 1;
      missing.push(key);
      if (entry !== undefined) call.present.add(key);
      const older = call.stale.get(key);
      if (entry !== undefined && entry.staleUntil > now && (older === undefined || entry.createdAt > older.createdAt)) {
        call.stale.set(key, { value: entryValue(entry), createdAt: entry.createdAt });
      }
    });
    return missing;
  }

  /**
   * Takes the locks of `keys` with one new token. A key the caller found no entry for (`foundNone`) whose
   * entry was written meanwhile is not locked: a fresh entry is taken as found, an invalid one is locked
   * regardless. Returns the keys to load here and those another instance is loading.
   */
  private async claim(keys: readonly string[], mode: LockMode, call: BatchCall, foundNone: (key: string) => boolean): Promise<{ token: string; taken: string[]; held: string[] }> {
    const token = `${this.lock.owner}:batch:${++this.tokenCounter}`;
    const taken: string[] = [];
    const held: string[] = [];
    const written: string[] = [];
    const replies = this.tiered.l2 ? await this.tiered.takeLocks(keys, token, this.lock.ttl, mode, keys.map(foundNone), call.budget) : undefined;
    // NOTE: when Redis does not answer, no key is known to be held: all are loaded, and written only where the lock request landed in time.
    if (replies === undefined) return { token, taken: [...keys], held };
    keys.forEach((key, index) => {
      const reply = replies[index];
      if (typeof reply === 'boolean') (reply ? taken : held).push(key);
      else if (!this.acceptFresh(key, reply.entry, call)) written.push(key);
    });
    if (written.length === 0) return { token, taken, held };
    const again = await this.tiered.takeLocks(written, token, this.lock.ttl, mode, written.map(() => false), call.budget);
    written.forEach((key, index) => (again?.[index] === false ? held : taken).push(key));
    return { token, taken, held };
  }

  /**
   * Polls for the keys other instances are loading until `lockWait`, one lock request per slot each time:
   * a key written meanwhile is read back, one whose lock was released without a value is locked and
   * loaded here at once. Past `lockWait` the rest is loaded too, with a token that does not hold their
   * locks: the slow loads' results are the ones cached.
   */
  private async awaitOthers(keys: readonly string[], call: BatchCall, load: (keys: readonly string[], token: string) => Promise<void>): Promise<void> {
    const loads: Promise<void>[] = [];
    const deadline = Date.now() + this.lock.wait;
    let waiting = keys;
    for (let pause = FIRST_POLL_DELAY; waiting.length > 0; pause = Math.min(pause * 2, LONGEST_POLL_DELAY)) {
      await sleep(Math.max(0, Math.min(pause, deadline - Date.now())));
      const claim = await this.claim(waiting, 'nx', call, () => true);
      const expired = Date.now() >= deadline;
      const free = expired ? [...claim.taken, ...claim.held] : claim.taken;
      if (free.length > 0) {
        const loading = load(free, claim.token);
        loading.catch(() => undefined);
        loads.push(loading);
      }
      waiting = expired ? [] : claim.held;
    }
    await Promise.all(loads);
  }

  private acceptFresh(key: string, entry: EncodedEntry | undefined, call: BatchCall): boolean {
    if (entry === undefined || entry.freshUntil <= Date.now()) return false;
    this.stats.hits.l2 += 1;
    call.found.set(key, this.tiered.promote(key, entry, call.position, call.plan.l1));
    return true;
  }

  private async loadInChunks(keys: readonly string[], token: string, tags: TagSnapshot, call: BatchCall): Promise<void> {
    const chunks: string[][] = [];
    for (let start = 0; start < keys.length; start += call.plan.maxBatchSize) chunks.push(keys.slice(start, start + call.plan.maxBatchSize));
    await Promise.all(chunks.map((chunk) => this.loadChunk(chunk, token, tags, call)));
  }

  /** Runs the loader for `keys` within the timeouts; past ttl within grace, a failure or a slow load yields the stale values. */
  private async loadChunk(keys: readonly string[], token: string, tags: TagSnapshot, call: BatchCall): Promise<void> {
    const loading = this.loadAndStore(keys, token, tags, call);
    const allStale = keys.every((key) => call.stale.has(key));
    const { timeout, hardTimeout } = call.plan;
    const soft = allStale && timeout !== undefined && timeout < hardTimeout;
    try {
      const values = await withTimeout(loading, soft ? timeout : hardTimeout, `the loader took longer than ${soft ? timeout : hardTimeout}ms`, !soft);
      keys.forEach((key, index) => call.found.set(key, values[index]));
    } catch (error: unknown) {
      if (!(error instanceof OperationTimeoutError)) {
        if (!allStale) throw error;
        this.serveStale(keys, call, `the loader failed: ${errorMessage(error)}`);
        return;
      }
      // NOTE: the late load goes on and still lands in the cache (through its locks); only its failure is left to report.
      loading.catch((late: unknown) => this.logger.warn(`Late batch load of ${keys.length} keys failed: ${errorMessage(late)}`));
      if (allStale) {
        this.serveStale(keys, call, error.message);
        return;
      }
      this.release(keys, token);
      throw new CacheLoadTimeoutError(keys.length === 1 ? keys[0] : `${keys[0]}, … (${keys.length} keys)`, hardTimeout);
    }
  }

  /** Calls the loader once, holding the keys' locks; writes what it returned in one batch. */
  private async loadAndStore(keys: readonly string[], token: string, tags: TagSnapshot, call: BatchCall): Promise<unknown[]> {
    const stop = this.stats.time('load', 'loader');
    const started = Date.now();
    const heartbeat = this.keepLocked(keys, token);
    this.stats.loads += 1;
    let values: unknown[];
    try {
      values = alignResult(keys, await call.loader([...keys]));
    } catch (error) {
      this.release(keys, token);
      throw error;
    } finally {
      clearInterval(heartbeat);
      stop();
    }
    const { ttl, grace, l1, shouldCache } = call.plan;
    const loadDuration = Date.now() - started;
    const cached = keys.flatMap((key, index) => (shouldCache(values[index]) ? [{ key, value: values[index], plan: { ttl, grace, l1, loadDuration, tags: call.tags.get(key)! }, index }] : []));
    this.release(
      keys.filter((_, index) => !shouldCache(values[index])),
      token,
    );
    try {
      const written = await this.tiered.writeLoadedMany(cached, tags, token, call.refreshing, call.budget);
      cached.forEach(({ index }, position) => (values[index] = written[position]));
      return values;
    } catch (error) {
      this.release(keys, token);
      throw error;
    }
  }

  /** Extends the locks while a slow loader runs, so no other instance starts the same loads. */
  private keepLocked(keys: readonly string[], token: string): NodeJS.Timeout | undefined {
    const l2 = this.tiered.l2;
    if (!l2) return undefined;
    const timer = setInterval(() => void l2.extendOrReleaseLocks(keys, token, this.lock.ttl).catch(() => undefined), this.lock.ttl / 3);
    timer.unref();
    return timer;
  }

  private release(keys: readonly string[], token: string): void {
    if (keys.length > 0) this.tiered.l2?.extendOrReleaseLocks(keys, token, 'release').catch(() => undefined);
  }

  private serveStale(keys: readonly string[], call: BatchCall, reason: string): void {
    if (keys.length === 0) return;
    for (const key of keys) call.found.set(key, call.stale.get(key)!.value);
    this.stats.staleHits += keys.length;
    this.logger.warn(`Serving ${keys.length} stale keys ('${keys[0]}'...): ${reason}`);
  }
}

function unique(lists: readonly (readonly string[])[] | readonly string[]): string[] {
  return [...new Set(lists.flat())];
}
