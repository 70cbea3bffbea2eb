const MUTATORS = {
  map: ['set', 'delete', 'clear'],
  set: ['add', 'delete', 'clear'],
  date: Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set')),
} as const;

function refuseMutation(): never {
  throw new TypeError('nestjs-tiered-cache: cached values are read-only; copy the value before changing it');
}

/**
 * Deep-freezes a private copy so every L1 hit can hand out the same object safely.
 * Returns `false` when the value holds binary data (typed arrays cannot be frozen): the caller then keeps
 * the encoded bytes and decodes a fresh copy on each read instead.
 */
export function deepFreeze(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  if (value instanceof Map) return freezeMap(value);
  if (value instanceof Set) return freezeSet(value);
  if (value instanceof Date) return freezeWith(value, MUTATORS.date);
  Object.freeze(value);
  for (const key of Object.keys(value)) {
    if (!deepFreeze((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function freezeMap(map: Map<unknown, unknown>): boolean {
  freezeWith(map, MUTATORS.map);
  for (const [key, entry] of map) {
    if (!deepFreeze(key) || !deepFreeze(entry)) return false;
  }
  return true;
}

function freezeSet(set: Set<unknown>): boolean {
  freezeWith(set, MUTATORS.set);
  for (const entry of set) {
    if (!deepFreeze(entry)) return false;
  }
  return true;
}

function freezeWith(target: object, mutators: readonly string[]): true {
  for (const name of mutators) {
    Object.defineProperty(target, name, { value: refuseMutation });
  }
  Object.freeze(target);
  return true;
}
