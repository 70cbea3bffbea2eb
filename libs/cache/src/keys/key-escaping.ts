const UNSAFE = /[%:*?[\]{}\\]/;
const UNSAFE_GLOBAL = /[%:*?[\]{}\\]/g;

/**
 * Escapes an interpolated key segment so it cannot forge another key or act as a Redis pattern:
 * `%` `:` `*` `?` `[` `]` `{` `}` `\` become percent-encoded (`:` → `%3A`). Injective, and the result
 * contains none of those characters. Returns the input itself when nothing needs escaping.
 */
export function escapeKeySegment(value: string): string {
  if (!UNSAFE.test(value)) return value;
  return value.replace(UNSAFE_GLOBAL, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
