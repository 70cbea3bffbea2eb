import { hashArguments } from './argument-hash.js';
import { describeKey } from './cache-key.guard.js';
import { escapeKeySegment } from './key-escaping.js';

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

/**
 * Compiles a key template once: `'product:{0}'`, `'{0.id}'`, `'{1.user.email}'` (argument index, then
 * a property path). Interpolated values are escaped ({@link escapeKeySegment}); an object or array is
 * interpolated as its {@link hashArguments} hash; a missing property as `undefined`. Malformed templates
 * and out-of-range arguments throw here. A function template is called as is and must return a
 * non-empty string.
 */
export function compileKeyTemplate(template: string | KeyFunction, site: TemplateSite): KeyBuilder {
  if (typeof template === 'function') return functionBuilder(template, site);
  const { literals, placeholders } = parseTemplate(template, site);
  if (placeholders.length === 0) return () => template;
  return (args) => {
    let key = literals[0];
    for (let index = 0; index < placeholders.length; index += 1) {
      key += segmentAt(args, placeholders[index]) + literals[index + 1];
    }
    return key;
  };
}

/** The key of a method without a template: `ClassName.method:` + a stable hash of its arguments. */
export function defaultKeyBuilder(className: string, methodName: string): KeyBuilder {
  const prefix = `${className}.${methodName}:`;
  return (args) => prefix + hashArguments(args);
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
  return template.slice(start, end);
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
  return { origin: `${siteOf(template, site)}: {${body}}`, argument, path: match[2] ? match[2].slice(1).split('.') : [] };
}

function parameterDescription(count: number): string {
  if (count === 0) return 'no parameters';
  return count === 1 ? '1 parameter (0)' : `${count} parameters (0..${count - 1})`;
}

function segmentAt(args: readonly unknown[], placeholder: Placeholder): string {
  return escapeKeySegment(textOf(valueAt(args, placeholder), placeholder));
}

function textOf(value: unknown, placeholder: Placeholder): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (!isHashed(value)) return String(value);
  try {
    return hashArguments([value]);
  } catch (error) {
    throw new TypeError(`${placeholder.origin} cannot be interpolated: ${(error as Error).message}`, { cause: error });
  }
}

/** Objects and arrays interpolate as their hash; so would functions and symbols, which throw. */
function isHashed(value: unknown): boolean {
  return value !== null && (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol');
}

function valueAt(args: readonly unknown[], placeholder: Placeholder): unknown {
  let value: unknown = args[placeholder.argument];
  for (const property of placeholder.path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[property];
  }
  return value;
}

function functionBuilder(template: KeyFunction, site: TemplateSite): KeyBuilder {
  const call = template as (...args: readonly unknown[]) => unknown;
  return (args) => {
    const key = call(...args);
    if (typeof key === 'string' && key !== '') return key;
    const on = `${site.className}.${site.methodName}`;
    throw new TypeError(`Cache key function on ${on} returned ${describeKey(key)}; it must return a non-empty string`);
  };
}

function siteOf(template: string, site: TemplateSite): string {
  return `Cache key template '${template}' on ${site.className}.${site.methodName}`;
}

function templateError(template: string, site: TemplateSite, problem: string): Error {
  return new Error(`${siteOf(template, site)} ${problem}`);
}
