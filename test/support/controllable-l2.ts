import type { EncodedEntry } from '../../libs/cache/src/serialization/envelope.codec.js';
import type { LockMode, LockReply, SharedTier } from '../../libs/cache/src/stores/redis.store.js';
import { RedisUnavailableError } from '../../libs/cache/src/cache.errors.js';

type Operation = keyof SharedTier;

interface Gate {
  /** Lets the paused reply through. */
  release(): void;
  /** Resolves once a call reached the gate. */
  reached: Promise<void>;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * A controllable stand-in for the Redis tier, for deterministic race tests of the logic above the store
 * (not a Redis emulator: Redis itself is tested against real servers). It keeps entries, locks and tag
 * versions in maps with the same rules as the Lua scripts (fences, lock tokens), applies every command
 * when it is sent, and lets a test pause the reply of the next call to an operation, or fail it.
 */
export class ControllableL2 implements SharedTier {
  readonly entries = new Map<string, EncodedEntry>();
  readonly locks = new Map<string, string>();
  readonly tags = new Map<string, number>();
  /** Every call, in the order sent. */
  readonly calls: { operation: Operation; key?: string }[] = [];
  private readonly gates = new Map<Operation, { reached: Deferred; released: Deferred }[]>();
  private readonly failures = new Map<Operation, Error[]>();
  private nextVersion = 1_000_000;

  /** Pauses the reply of the next call to `operation` (its effect is applied when sent, as on Redis). */
  pauseNext(operation: Operation): Gate {
    const gate = { reached: deferred(), released: deferred() };
    this.gates.set(operation, [...(this.gates.get(operation) ?? []), gate]);
    return { release: gate.released.resolve, reached: gate.reached.promise };
  }

  /**
   * Fails the next call to `operation` with `error`. With `applied`, the effect still happens (a reply
   * lost after Redis ran the command: the caller cannot tell).
   */
  failNext(operation: Operation, error: Error = new RedisUnavailableError('no answer before the deadline', false)): void {
    this.failures.set(operation, [...(this.failures.get(operation) ?? []), error]);
  }

  async read(key: string): Promise<EncodedEntry | undefined> {
    return this.call('read', key, () => this.valid(this.entries.get(key)));
  }

  async readMany(keys: readonly string[]): Promise<(EncodedEntry | undefined)[]> {
    return this.call('readMany', undefined, () => keys.map((key) => this.valid(this.entries.get(key))));
  }

  async write(items: readonly { key: string; entry: EncodedEntry }[]): Promise<void> {
    return this.call('write', items[0]?.key, () => {
      for (const { key, entry } of items) {
        this.entries.set(key, entry);
        this.locks.delete(key);
      }
    });
  }

  async writeIfLocked(key: string, entry: EncodedEntry, token: string): Promise<boolean> {
    return this.call('writeIfLocked', key, () => {
      if (this.locks.get(key) !== token) return false;
      this.entries.set(key, entry);
      this.locks.delete(key);
      return true;
    });
  }

  async snapshotTagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    return this.call('snapshotTagVersions', undefined, () => {
      const versions: Record<string, number> = {};
      for (const tag of tags) {
        if (!this.tags.has(tag)) this.tags.set(tag, (this.nextVersion += 1_000));
        versions[tag] = this.tags.get(tag)!;
      }
      return versions;
    });
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    return this.call('invalidateTags', undefined, () => {
      for (const tag of tags) this.tags.set(tag, (this.tags.get(tag) ?? (this.nextVersion += 1_000)) + 1);
    });
  }

  async takeLock(key: string, token: string, _ttl: number, mode: LockMode): Promise<boolean> {
    return this.call('takeLock', key, () => {
      if (mode === 'nx' && this.locks.has(key)) return false;
      this.locks.set(key, token);
      return true;
    });
  }

  async writeManyIfLocked(items: readonly { key: string; entry: EncodedEntry }[], token: string): Promise<boolean[]> {
    return this.call('writeManyIfLocked', items[0]?.key, () =>
      items.map(({ key, entry }) => {
        if (this.locks.get(key) !== token) return false;
        this.entries.set(key, entry);
        this.locks.delete(key);
        return true;
      }),
    );
  }

  async takeLocks(keys: readonly string[], token: string, _ttl: number, mode: LockMode, foundNone: readonly boolean[]): Promise<LockReply[]> {
    return this.call('takeLocks', keys[0], () =>
      keys.map((key, index): LockReply => {
        const written = mode === 'nx' && foundNone[index] ? this.entries.get(key) : undefined;
        if (written) return { entry: this.valid(written) };
        if (mode === 'nx' && this.locks.has(key)) return false;
        this.locks.set(key, token);
        return true;
      }),
    );
  }

  async extendOrReleaseLocks(keys: readonly string[], token: string, ttl: number | 'release'): Promise<void> {
    return this.call('extendOrReleaseLocks', keys[0], () => {
      for (const key of keys) if (ttl === 'release' && this.locks.get(key) === token) this.locks.delete(key);
    });
  }

  async extendLock(key: string, token: string): Promise<boolean> {
    return this.call('extendLock', key, () => this.locks.get(key) === token);
  }

  async releaseLock(key: string, token: string): Promise<void> {
    return this.call('releaseLock', key, () => {
      if (this.locks.get(key) === token) this.locks.delete(key);
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
    return this.call('delete', keys[0], () => {
      for (const key of keys) {
        this.entries.delete(key);
        this.locks.delete(key);
      }
    });
  }

  async expire(keys: readonly string[]): Promise<void> {
    return this.call('expire', keys[0], () => {
      const now = Date.now();
      for (const key of keys) {
        const entry = this.entries.get(key);
        if (entry) this.entries.set(key, { ...entry, createdAt: Math.min(entry.createdAt, now), freshUntil: Math.min(entry.freshUntil, now) });
        this.locks.delete(key);
      }
    });
  }

  /** Resolves to let a paused {@link clear} delete anything (a SCAN that has not reached the entries yet). */
  clearReached: Promise<void> | undefined;

  async clear(): Promise<void> {
    await this.clearReached;
    return this.call('clear', undefined, () => {
      this.entries.clear();
      this.locks.clear();
    });
  }

  stop(): void {}

  private async call<T>(operation: Operation, key: string | undefined, apply: () => T): Promise<T> {
    this.calls.push({ operation, key });
    const failure = this.failures.get(operation)?.shift();
    if (failure && !(failure instanceof RedisUnavailableError && failure.maybeApplied)) throw failure;
    const result = apply();
    const gate = this.gates.get(operation)?.shift();
    if (gate) {
      gate.reached.resolve();
      await gate.released.promise;
    }
    if (failure) throw failure;
    return result;
  }

  private valid(entry: EncodedEntry | undefined): EncodedEntry | undefined {
    if (entry?.tags === undefined) return entry;
    for (const tag in entry.tags) if (this.tags.get(tag) !== entry.tags[tag]) return undefined;
    return entry;
  }
}
