/** The characters a key segment may not carry as is, with `%` (the escape character itself) first. */
const ESCAPED = '%:*?[]{}\\';

/** Char code → 1 when it must be escaped; every escaped character is ASCII. */
const NEEDS_ESCAPE = new Uint8Array(128);
for (const character of ESCAPED) NEEDS_ESCAPE[character.charCodeAt(0)] = 1;

const ESCAPE_PATTERN = /[%:*?[\]{}\\]/g;

/**
 * Escapes an interpolated key segment so it cannot forge another key or act as a Redis pattern:
 * `%` `:` `*` `?` `[` `]` `{` `}` `\` are percent-encoded (`:` → `%3A`, `%` → `%25`). Injective, and the
 * result contains none of those characters but `%`. Returns the input itself when nothing needs escaping.
 */
export function escapeKeySegment(value: string): string {
  return needsEscaping(value) ? value.replace(ESCAPE_PATTERN, percentEncode) : value;
}

// NOTE: a char scan rather than a regex test keeps the per-call path of key templates regex-free.
function needsEscaping(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 128 && NEEDS_ESCAPE[code] === 1) return true;
  }
  return false;
}

function percentEncode(character: string): string {
  return `%${character.charCodeAt(0).toString(16).toUpperCase()}`;
}
