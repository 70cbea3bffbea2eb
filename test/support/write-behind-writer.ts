import { Injectable } from '@nestjs/common';
import { WriteBehind, writeBehindSequence } from 'nestjs-tiered-cache';
import { AppendOnlyStore } from './write-behind-store.js';

/** How {@link SequenceWriter} persists: its store, whether the store checks write sequences, and faults to inject. */
export const writerSettings = {
  store: undefined as AppendOnlyStore | undefined,
  fenced: false,
  /** Milliseconds each persist takes. */
  persistTime: 0,
  /** Makes every persist throw while set. */
  failWith: undefined as string | undefined,
  /** Persists of one key running at this moment, and the most seen at once. */
  running: new Map<string, number>(),
  mostAtOnce: 0,
};

/** A write-behind service: `save('k1', 7)` caches 7 under `seq:k1` and persists it to the store later. */
@Injectable()
export class SequenceWriter {
  @WriteBehind({ key: 'seq:{0}', value: (_key: string, seq: number) => seq, backoff: 100 })
  async save(key: string, seq: number): Promise<void> {
    const running = (writerSettings.running.get(key) ?? 0) + 1;
    writerSettings.running.set(key, running);
    writerSettings.mostAtOnce = Math.max(writerSettings.mostAtOnce, running);
    try {
      if (writerSettings.persistTime > 0) await new Promise((resolve) => setTimeout(resolve, writerSettings.persistTime));
      if (writerSettings.failWith) throw new Error(writerSettings.failWith);
      if (!writerSettings.store) throw new Error('SequenceWriter has no store');
      writerSettings.store.persist(key, seq, writeBehindSequence(), writerSettings.fenced);
    } finally {
      writerSettings.running.set(key, (writerSettings.running.get(key) ?? 1) - 1);
    }
  }
}
