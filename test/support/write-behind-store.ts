import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One call of a persist method: the application's sequence number, the write's sequence, who ran it. */
export interface PersistCall {
  key: string;
  seq: number;
  /** `writeBehindSequence()` of the persisted write. */
  sequence: number | undefined;
  pid: number;
  /** A fenced store refused it: an older write than one already applied. */
  refused?: boolean;
}

/** What an audit of every persist shows against what the callers were told was written. */
export interface AuditSummary {
  /** Keys whose stored value is not the last acknowledged sequence. */
  lost: string[];
  /** Persists that applied an older sequence after a newer one of the same key. */
  backwards: number;
  /** Persists applied (refused ones excluded). */
  applied: number;
  /** Persists a fenced store refused. */
  refused: number;
}

/**
 * A real store for write-behind tests: an append-only file, one JSON line per persist call, written by
 * every process (O_APPEND keeps lines whole). A key's stored value is its last applied line; a fenced
 * store refuses a write whose sequence is older than the one it holds, as the README shows for SQL.
 */
export class AppendOnlyStore {
  constructor(readonly file: string) {}

  /** A store in a fresh temporary directory. */
  static create(): AppendOnlyStore {
    return new AppendOnlyStore(join(mkdtempSync(join(tmpdir(), 'tiered-cache-store-')), 'persisted.jsonl'));
  }

  /** Appends a persist; with `fenced`, refuses (and records as refused) one older than the key's stored write. */
  persist(key: string, seq: number, sequence: number | undefined, fenced: boolean): void {
    const held = fenced ? this.values().get(key) : undefined;
    const refused = held?.sequence !== undefined && sequence !== undefined && sequence < held.sequence;
    const call: PersistCall = { key, seq, sequence, pid: process.pid, ...(refused ? { refused } : {}) };
    appendFileSync(this.file, `${JSON.stringify(call)}\n`);
  }

  /** Every persist call, in the order they reached the file. */
  calls(): PersistCall[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as PersistCall);
  }

  /** The stored value of every key: its last applied persist. */
  values(): Map<string, PersistCall> {
    const values = new Map<string, PersistCall>();
    for (const call of this.calls()) if (!call.refused) values.set(call.key, call);
    return values;
  }

  /** Compares the store with the last sequence acknowledged per key. */
  audit(acknowledged: ReadonlyMap<string, number>): AuditSummary {
    const values = this.values();
    const highest = new Map<string, number>();
    let backwards = 0;
    let applied = 0;
    let refused = 0;
    for (const call of this.calls()) {
      if (call.refused) {
        refused += 1;
        continue;
      }
      applied += 1;
      if (call.seq < (highest.get(call.key) ?? -Infinity)) backwards += 1;
      highest.set(call.key, Math.max(call.seq, highest.get(call.key) ?? -Infinity));
    }
    const lost = [...acknowledged].filter(([key, seq]) => values.get(key)?.seq !== seq).map(([key]) => key);
    return { lost, backwards, applied, refused };
  }
}
