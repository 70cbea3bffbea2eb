import { MAX_ITEMS_PER_MESSAGE } from './bus-message.codec.js';
import type { InvalidationMessage } from './invalidation-message.js';

const MAX_PENDING_ITEMS = 10_000;

/**
 * Changes waiting to be published, merged and deduplicated (latest per key). Past its bound it
 * collapses into one "clear" message: coarser, but an invalidation is never dropped.
 */
export class InvalidationOutbox {
  private keys = new Set<string>();
  private tags = new Set<string>();
  private clear = false;

  get isEmpty(): boolean {
    return !this.clear && this.keys.size === 0 && this.tags.size === 0;
  }

  add(message: InvalidationMessage): void {
    if (message.clear) this.clear = true;
    if (this.clear) return this.dropItems();
    for (const key of message.keys ?? []) this.keys.add(key);
    for (const tag of message.tags ?? []) this.tags.add(tag);
    if (this.keys.size + this.tags.size > MAX_PENDING_ITEMS) {
      this.clear = true;
      this.dropItems();
    }
  }

  /** Takes everything as messages of bounded size, leaving the outbox empty. */
  drain(): InvalidationMessage[] {
    if (this.clear) {
      this.clear = false;
      return [{ clear: true }];
    }
    const messages: InvalidationMessage[] = [];
    const keys = [...this.keys];
    const tags = [...this.tags];
    this.dropItems();
    for (let start = 0; start < keys.length; start += MAX_ITEMS_PER_MESSAGE) {
      messages.push({ keys: keys.slice(start, start + MAX_ITEMS_PER_MESSAGE) });
    }
    for (let start = 0; start < tags.length; start += MAX_ITEMS_PER_MESSAGE) {
      messages.push({ tags: tags.slice(start, start + MAX_ITEMS_PER_MESSAGE) });
    }
    return messages;
  }

  private dropItems(): void {
    this.keys = new Set();
    this.tags = new Set();
  }
}

/** Says what `messages` invalidate, for logs: `3 keys, 1 tag and the namespace`. */
export function describeInvalidations(messages: readonly InvalidationMessage[]): string {
  let keys = 0;
  let tags = 0;
  let clear = false;
  for (const message of messages) {
    keys += message.keys?.length ?? 0;
    tags += message.tags?.length ?? 0;
    clear ||= message.clear === true;
  }
  const parts = [...(keys ? [plural(keys, 'key')] : []), ...(tags ? [plural(tags, 'tag')] : []), ...(clear ? ['the namespace'] : [])];
  if (parts.length === 0) return 'nothing';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
