/** An injective string escape: `%XX` for the listed ASCII characters (with `%` always among them), `%uXXXX` for a lone surrogate. */
type Escaper = (value: string) => string;

/**
 * Builds an {@link Escaper}. Its output contains none of `characters` but `%` (only as `%XX` or `%uXXXX`)
 * and is well-formed UTF-16: a lone surrogate, which UTF-8 (Redis, the bus) would turn into U+FFFD and
 * so merge with other strings, is spelt `%uD800`.
 */
function createEscaper(characters: string): Escaper {
  const needsEscape = new Uint8Array(128);
  for (const character of `%${characters}`) needsEscape[character.charCodeAt(0)] = 1;
  const listed = [...new Set(`%${characters}`)].map((character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  const pattern = new RegExp(`[${listed}]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]`, 'g');
  // NOTE: a char scan rather than a regex test keeps the common case (nothing to escape) regex-free.
  const needsEscaping = (value: string): boolean => {
    for (let index = 0; index < value.length; index += 1) {
      const code = value.charCodeAt(index);
      if (code < 128) {
        if (needsEscape[code] === 1) return true;
      } else if (code >= 0xd800 && code <= 0xdfff) {
        if (!isPairStart(value, index)) return true;
        index += 1;
      }
    }
    return false;
  };
  return (value) => (needsEscaping(value) ? value.replace(pattern, percentEncode) : value);
}

function isPairStart(value: string, index: number): boolean {
  const code = value.charCodeAt(index);
  if (code > 0xdbff) return false;
  const next = value.charCodeAt(index + 1);
  return next >= 0xdc00 && next <= 0xdfff;
}

function percentEncode(character: string): string {
  const code = character.charCodeAt(0);
  const hex = code.toString(16).toUpperCase();
  return code >= 0xd800 ? `%u${hex}` : `%${hex.padStart(2, '0')}`;
}

/**
 * Escapes an interpolated key segment so it cannot forge another key or act as a Redis pattern:
 * `%` `:` `*` `?` `[` `]` `{` `}` `\` are percent-encoded (`:` → `%3A`, `%` → `%25`), a lone surrogate
 * becomes `%uD800`. Injective; returns the input itself when nothing needs escaping.
 */
export const escapeKeySegment: Escaper = createEscaper(':*?[]{}\\');

/**
 * Escapes a cache key for the hash-tagged part of its Redis keys: `%` `{` `}` and lone surrogates.
 * With no brace left, the `{...}` around it is exactly the Cluster hash tag, so an entry and its lock
 * always share a slot.
 */
export const escapeHashTag: Escaper = createEscaper('{}');

/**
 * Marks an interpolated segment that is the hash of an object argument: no escaped string contains
 * `%#`, so no string argument can spell an object's hash.
 */
export const HASHED_SEGMENT_MARK = '%#';
