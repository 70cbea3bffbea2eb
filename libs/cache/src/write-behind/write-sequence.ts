import { AsyncLocalStorage } from 'node:async_hooks';

/** The write being persisted by a `@WriteBehind` method, see {@link writeBehindSequence}. */
interface CurrentWrite {
  key: string;
  sequence: number;
}

const current = new AsyncLocalStorage<CurrentWrite>();
let last = 0;

/**
 * A new write sequence: microseconds of this process's clock, strictly increasing within the process.
 * NOTE: across instances, writes of one key are ordered by their callers' clocks (NTP skew decides
 * between two instances writing one key within the same few milliseconds).
 */
export function nextWriteSequence(): number {
  last = Math.max(Date.now() * 1_000, last + 1);
  return last;
}

/** Runs `persist` with `write` visible to {@link writeBehindSequence}. */
export function runAsWrite<T>(write: CurrentWrite, persist: () => Promise<T>): Promise<T> {
  return current.run(write, persist);
}

/**
 * Inside a `@WriteBehind` method (run by the queue's worker or synchronously as a fallback): the
 * sequence of the write being persisted, increasing with every call for a key; `undefined` elsewhere.
 * A store that must never go back even through a total queue outage stores it with the row and
 * refuses an older one (`UPDATE ... WHERE seq < $1`), see the README.
 */
export function writeBehindSequence(): number | undefined {
  return current.getStore()?.sequence;
}
