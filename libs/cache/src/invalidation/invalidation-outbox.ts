import { MAX_ITEMS_PER_MESSAGE } from './bus-message.codec.js';
import type { InvalidationMessage } from './invalidation-message.js';

const MAX_PENDING_ITEMS = 10_000;

/**
 * Changes waiting to be published, merged and deduplicated (latest per key); a hard invalidation of a key
 * or tag supersedes a soft one. Past its bound it collapses into one "clear" message: coarser, but an
 * invalidation is never dropped.
 */
export class InvalidationOutbox {
  private hard = new Items();
  private soft = new Items();
  private clear = false;

  get isEmpty(): boolean {
    return !this.clear && this.hard.size === 0 && this.soft.size === 0;
  }

  add(message: InvalidationMessage): void {
    if (message.clear) this.clear = true;
    if (this.clear) return this.dropItems();
    if (message.soft) this.soft.add(message, this.hard);
    else this.hard.add(message, undefined, this.soft);
    if (this.hard.size + this.soft.size > MAX_PENDING_ITEMS) {
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
    const messages = [...this.hard.messages(false), ...this.soft.messages(true)];
    this.dropItems();
    return messages;
  }

  private dropItems(): void {
    this.hard = new Items();
    this.soft = new Items();
  }
}

/** Keys and tags of one kind (hard or soft). */
class Items {
  private readonly keys = new Set<string>();
  private readonly tags = new Set<string>();

  get size(): number {
    return this.keys.size + this.tags.size;
  }

  /** Adds the message's keys and tags, except those `stronger` holds; removes them from `weaker`. */
  add(message: InvalidationMessage, stronger?: Items, weaker?: Items): void {
    for (const key of message.keys ?? []) {
      if (stronger?.keys.has(key)) continue;
      this.keys.add(key);
      weaker?.keys.delete(key);
    }
    for (const tag of message.tags ?? []) {
      if (stronger?.tags.has(tag)) continue;
      this.tags.add(tag);
      weaker?.tags.delete(tag);
    }
  }

  messages(soft: boolean): InvalidationMessage[] {
    const flag = soft ? { soft: true } : {};
    return [...chunks([...this.keys]).map((keys) => ({ keys, ...flag })), ...chunks([...this.tags]).map((tags) => ({ tags, ...flag }))];
  }
}

function chunks(items: readonly string[]): string[][] {
  const result: string[][] = [];
  for (let start = 0; start < items.length; start += MAX_ITEMS_PER_MESSAGE) result.push(items.slice(start, start + MAX_ITEMS_PER_MESSAGE));
  return result;
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
