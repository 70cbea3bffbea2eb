import { hashArguments } from './argument-hash.js';
import { invalidCacheKey } from './cache-key.guard.js';
import { escapeKeySegment, HASHED_SEGMENT_MARK } from './key-escaping.js';

/** Builds a cache key from a call's arguments. */
export type KeyBuilder = (args: readonly unknown[]) => string;

/** A key given as a function of the method's arguments; its result is used as is. */
export type KeyFunction = (...args: never[]) => string;

/** Where a template is declared, for error messages and argument checks. */
export interface TemplateSite {
  className: string;
  methodName: string;
  /** Declared parameters; `undefined` when unknown (rest or default parameters shorten `Function.length`). */
  parameterCount?: number | undefined;
}

interface Placeholder {
  /** `Cache key template '...' on Class.method: {0.id}`, for errors at call time. */
  readonly origin: string;
  readonly argument: number;
  readonly path: readonly string[];
}

/** A parsed template: `literals[0] + value(placeholders[0]) + literals[1] + ...`. */
interface ParsedTemplate {
  readonly literals: readonly string[];
  readonly placeholders: readonly Placeholder[];
}

const PLACEHOLDER = /^(\d+)((?:\.(?:[A-Za-z_$][\w$]*|\d+))*)$/;

/** Path segments that would walk into prototypes rather than the argument's data. */
const FORBIDDEN_PROPERTIES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Compiles a key template once: `'product:{0}'`, `'{0.id}'`, `'{1.user.email}'` (argument index, then
 * a path of own properties; an inherited one throws). Interpolated values are escaped ({@link escapeKeySegment}); an object or
 * array is interpolated as `%#` + its {@link hashArguments} hash (a mark no string can spell); a missing
 * property as `undefined`. Malformed templates, paths through `__proto__`/`constructor`/`prototype` and
 * out-of-range arguments throw here. A function template is called as is and must return a valid key.
 */
export function compileKeyTemplate(template: string | KeyFunction, site: TemplateSite): KeyBuilder {
  if (typeof template === 'function') return functionBuilder(template, site);
  const { literals, placeholders } = parseTemplate(template, site);
  if (placeholders.length === 0) return () => template;
  // NOTE: the common shape, `'product:{0}'`, gets a builder without a loop: it runs on every cache hit.
  if (placeholders.length === 1) {
    const [prefix, suffix] = literals;
    const [placeholder] = placeholders;
    return (args) => prefix + segmentAt(args, placeholder) + suffix;
  }
  return (args) => {
    let key = literals[0];
    for (let index = 0; index < placeholders.length; index += 1) {
      key += segmentAt(args, placeholders[index]) + literals[index + 1];
    }
    return key;
  };
}

/** The key of a method without a template: {@link defaultKeyPrefix} + a stable hash of its arguments. */
export function defaultKeyBuilder(className: string, methodName: string): KeyBuilder {
  const prefix = defaultKeyPrefix(className, methodName);
  return (args) => prefix + hashArguments(args);
}

/** What every default key of a method starts with: `ClassName.method:`. */
export function defaultKeyPrefix(className: string, methodName: string): string {
  return `${className}.${methodName}:`;
}

function parseTemplate(template: string, site: TemplateSite): ParsedTemplate {
  if (template === '') throw templateError(template, site, 'is empty');
  const literals: string[] = [];
  const placeholders: Placeholder[] = [];
  let start = 0;
  for (let open = template.indexOf('{'); open !== -1; open = template.indexOf('{', start)) {
    literals.push(literalBetween(template, start, open, site));
    const close = template.indexOf('}', open + 1);
    const nested = template.indexOf('{', open + 1);
    if (close === -1 || (nested !== -1 && nested < close)) {
      throw templateError(template, site, `has an unbalanced '{' at position ${open}`);
    }
    placeholders.push(parsePlaceholder(template.slice(open + 1, close), template, site));
    start = close + 1;
  }
  literals.push(literalBetween(template, start, template.length, site));
  return { literals, placeholders };
}

function literalBetween(template: string, start: number, end: number, site: TemplateSite): string {
  const close = template.indexOf('}', start);
  if (close !== -1 && close < end) throw templateError(template, site, `has an unbalanced '}' at position ${close}`);
  const literal = template.slice(start, end);
  if (literal !== '' && invalidCacheKey(literal)) throw templateError(template, site, 'has a lone surrogate (ill-formed UTF-16)');
  return literal;
}

function parsePlaceholder(body: string, template: string, site: TemplateSite): Placeholder {
  const match = PLACEHOLDER.exec(body);
  if (!match) {
    throw templateError(template, site, `has '{${body}}', which is not a placeholder; use {0}, {0.id} or {1.user.email}`);
  }
  const argument = Number(match[1]);
  const { parameterCount } = site;
  if (parameterCount !== undefined && argument >= parameterCount) {
    throw templateError(template, site, `refers to argument ${argument}, but the method declares ${parameterDescription(parameterCount)}`);
  }
  const path = match[2] ? match[2].slice(1).split('.') : [];
  const forbidden = path.find((property) => FORBIDDEN_PROPERTIES.has(property));
  if (forbidden !== undefined) {
    throw templateError(template, site, `has '{${body}}', which goes through '${forbidden}'; a path may only name the argument's own properties`);
  }
  return { origin: `${siteOf(template, site)}: {${body}}`, argument, path };
}

function parameterDescription(count: number): string {
  if (count === 0) return 'no parameters';
  return count === 1 ? '1 parameter (0)' : `${count} parameters (0..${count - 1})`;
}

function segmentAt(args: readonly unknown[], placeholder: Placeholder): string {
  const value = placeholder.path.length === 0 ? args[placeholder.argument] : valueAt(args, placeholder);
  // NOTE: a number's digits, sign, point, exponent, `NaN` and `Infinity` never need escaping.
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? escapeKeySegment(value) : otherSegment(value, placeholder);
}

function otherSegment(value: unknown, placeholder: Placeholder): string {
  if (value instanceof Date) return escapeKeySegment(Number.isNaN(value.getTime()) ? String(value) : value.toISOString());
  if (!isHashed(value)) return escapeKeySegment(String(value));
  try {
    return HASHED_SEGMENT_MARK + hashArguments([value]);
  } catch (error) {
    throw new TypeError(`${placeholder.origin} cannot be interpolated: ${(error as Error).message}`, { cause: error });
  }
}

/** Objects and arrays interpolate as their hash; so would functions and symbols, which throw. */
function isHashed(value: unknown): boolean {
  return value !== null && (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol');
}

// NOTE: own properties only, so a template never reads through a prototype. An inherited one (a class
// getter, an ORM's virtual) throws rather than reading as `undefined`, which would give every call one key.
function valueAt(args: readonly unknown[], placeholder: Placeholder): unknown {
  let value: unknown = args[placeholder.argument];
  for (const property of placeholder.path) {
    if (value === null || value === undefined) return undefined;
    if (!Object.hasOwn(value, property)) {
      if (!(property in Object(value))) return undefined;
      throw new TypeError(`${placeholder.origin}: '${property}' is inherited, not an own property (a getter?); use a key function`);
    }
    value = (value as Record<string, unknown>)[property];
  }
  return value;
}

function functionBuilder(template: KeyFunction, site: TemplateSite): KeyBuilder {
  const call = template as (...args: readonly unknown[]) => unknown;
  return (args) => {
    const key = call(...args);
    const invalid = invalidCacheKey(key);
    if (invalid === undefined) return key as string;
    throw new TypeError(`Cache key function on ${site.className}.${site.methodName}: ${invalid.message}`, { cause: invalid });
  };
}

function siteOf(template: string, site: TemplateSite): string {
  return `Cache key template '${template}' on ${site.className}.${site.methodName}`;
}

function templateError(template: string, site: TemplateSite, problem: string): Error {
  return new Error(`${siteOf(template, site)} ${problem}`);
}
