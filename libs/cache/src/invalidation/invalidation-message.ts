/** What changed, as told to other instances: keys or tags (never values), or the whole namespace. */
export interface InvalidationMessage {
  keys?: readonly string[];
  tags?: readonly string[];
  clear?: boolean;
  /** Keys and tags are marked stale (kept as fallbacks for a failing loader) instead of removed. */
  soft?: boolean;
}

/** Tells other instances to drop their L1 copies. Publishing never throws; failures are retried. */
export interface InvalidationPublisher {
  publish(message: InvalidationMessage): void;
}
