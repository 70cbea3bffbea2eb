import { createHash } from 'node:crypto';
import { escapeKeySegment } from '../keys/key-escaping.js';
import { requestHeader, requestTarget, type HttpRequestLike } from './http-cache.platform.js';

/** Builds a key or tag from a request; `undefined` when a placeholder has no value (the request is not cached). */
export type RequestKeyBuilder = (request: HttpRequestLike) => string | undefined;

/** A compiled key template and whether it names the user (which allows caching authenticated requests). */
export interface CompiledRequestKey {
  readonly build: RequestKeyBuilder;
  readonly perUser: boolean;
}

type Source = 'params' | 'query' | 'headers' | 'user';

interface Placeholder {
  readonly source: Source;
  readonly path: readonly string[];
}

const SOURCES = new Set<string>(['params', 'query', 'headers', 'user']);
const PLACEHOLDER = /\{([^{}]*)\}/g;
const FORBIDDEN_PROPERTIES = new Set(['__proto__', 'constructor', 'prototype']);
/** Past this length, the path and query of the default key are hashed (a huge URL must not make a huge key). */
const LONGEST_RAW_TARGET = 512;

/** Prefix of every HTTP key, so HTTP responses never collide with entries of `@Cacheable` or `CacheService`. */
export const HTTP_KEY_PREFIX = 'http:';

/**
 * Compiles `'product:{params.id}'`, `'{query.page}'`, `'{headers.accept-language}'`, `'me:{user.id}'`.
 * Throws a TypeError naming the template and the placeholder when it is malformed.
 */
export function compileRequestKey(template: string, where: string): CompiledRequestKey {
  const literals: string[] = [];
  const placeholders: Placeholder[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index));
    placeholders.push(parsePlaceholder(match[1], template, where));
    last = match.index + match[0].length;
  }
  const tail = template.slice(last);
  if (tail.includes('{') || tail.includes('}') || literals.some((literal) => literal.includes('}') || literal.includes('{'))) {
    throw new TypeError(`nestjs-tiered-cache: HTTP cache template '${template}' on ${where} has an unbalanced brace`);
  }
  literals.push(tail);
  const perUser = placeholders.some(
    ({ source, path }) => source === 'user' || (source === 'headers' && (path[0] === 'authorization' || path[0] === 'cookie')),
  );
  return { build: (request) => interpolate(request, literals, placeholders), perUser };
}

/** The default key: method (HEAD shares GET's entry) + path + query parameters sorted by name. */
export function defaultRequestKey(request: HttpRequestLike): string {
  const { path, query } = requestTarget(request);
  const target = query === '' ? path : `${path}?${sortedQuery(query)}`;
  return target.length <= LONGEST_RAW_TARGET ? target : `#${createHash('sha256').update(target).digest('base64url')}`;
}

/** `key` + one escaped segment per `Vary`-like header: `|accept-language=fr`. */
export function withVary(key: string, request: HttpRequestLike, headers: readonly string[]): string {
  let varied = key;
  for (const header of headers) varied += `|${header}=${escapeKeySegment(requestHeader(request, header) ?? '')}`;
  return varied;
}

function sortedQuery(query: string): string {
  const pairs = [...new URLSearchParams(query)];
  pairs.sort(([a, aValue], [b, bValue]) => (a === b ? compare(aValue, bValue) : compare(a, b)));
  return new URLSearchParams(pairs).toString();
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function parsePlaceholder(body: string, template: string, where: string): Placeholder {
  const [source, ...path] = body.split('.');
  if (!SOURCES.has(source) || path.length === 0 || path.some((part) => part === '' || FORBIDDEN_PROPERTIES.has(part))) {
    throw new TypeError(
      `nestjs-tiered-cache: HTTP cache template '${template}' on ${where}: placeholder '{${body}}' must be ` +
        `{params.<name>}, {query.<name>}, {headers.<name>} or {user.<path>}`,
    );
  }
  return { source: source as Source, path: source === 'headers' ? [path.join('.').toLowerCase()] : path };
}

function interpolate(request: HttpRequestLike, literals: readonly string[], placeholders: readonly Placeholder[]): string | undefined {
  let key = literals[0];
  for (let index = 0; index < placeholders.length; index += 1) {
    const value = valueOf(request, placeholders[index]);
    if (value === undefined || value === '') return undefined;
    key += escapeKeySegment(value) + literals[index + 1];
  }
  return key;
}

function valueOf(request: HttpRequestLike, { source, path }: Placeholder): string | undefined {
  if (source === 'headers') return requestHeader(request, path[0]);
  if (source === 'query') return new URLSearchParams(requestTarget(request).query).get(path[0]) ?? undefined;
  let value: unknown = source === 'params' ? request.params : request.user;
  for (const part of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
}
