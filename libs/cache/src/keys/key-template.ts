import { hashArguments } from './argument-hash.js';
import { escapeKeySegment } from './key-escaping.js';

/** Builds a cache key from a call's arguments. */
export type KeyBuilder = (args: readonly unknown[]) => string;

/** Where a template is declared, for error messages and argument checks. */
export interface TemplateSite {
  className: string;
  methodName: string;
  /** Declared parameters; `undefined` when unknown (rest or default parameters). */
  parameterCount: number | undefined;
}

interface Placeholder {
  argument: number;
  path: readonly string[];
}

type TemplatePart = string | Placeholder;

const PLACEHOLDER = /^(\d+)((?:\.[A-Za-z_$][\w$]*)*)$/;

/**
 * Compiles `'product:{0}'`, `'{0.id}'`, `'{1.user.email}'` (argument index, then a property path) once;
 * the builder interpolates escaped values. A function template is called as is and must return a
 * non-empty string.
 */
export function compileKeyTemplate(template: string | ((...args: unknown[]) => string), site: TemplateSite): KeyBuilder {
  if (typeof template === 'function') return functionBuilder(template, site);
  const parts = parseTemplate(template, site);
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const constant = parts[0];
    return () => constant;
  }
  return (args) => {
    let key = '';
    for (const part of parts) key += typeof part === 'string' ? part : interpolate(args, part);
    return key;
  };
}

/** The key of a method without a template: `ClassName.method:` + a stable hash of its arguments. */
export function defaultKeyBuilder(className: string, methodName: string): KeyBuilder {
  const prefix = `${className}.${methodName}:`;
  return (args) => prefix + hashArguments(args);
}

function parseTemplate(template: string, site: TemplateSite): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let index = 0; index < template.length; index += 1) {
    const character = template[index];
    if (character === '}') throw templateError(template, site, `unbalanced '}' at position ${index}`);
    if (character !== '{') {
      literal += character;
      continue;
    }
    const close = template.indexOf('}', index + 1);
    if (close === -1) throw templateError(template, site, `unbalanced '{' at position ${index}`);
    if (literal) parts.push(literal);
    literal = '';
    parts.push(parsePlaceholder(template.slice(index + 1, close), template, site));
    index = close;
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

function parsePlaceholder(body: string, template: string, site: TemplateSite): Placeholder {
  const match = PLACEHOLDER.exec(body);
  if (!match) {
    throw templateError(template, site, `'{${body}}' is not a placeholder; use {0}, {0.id} or {1.user.email}`);
  }
  const argument = Number(match[1]);
  const { parameterCount } = site;
  if (parameterCount !== undefined && argument >= parameterCount) {
    throw templateError(template, site, `refers to argument ${argument}, but the method declares ${parameterCount} parameter(s)`);
  }
  return { argument, path: match[2] ? match[2].slice(1).split('.') : [] };
}

function interpolate(args: readonly unknown[], placeholder: Placeholder): string {
  let value: unknown = args[placeholder.argument];
  for (const property of placeholder.path) {
    if (value === null || value === undefined) break;
    value = (value as Record<string, unknown>)[property];
  }
  return escapeKeySegment(segmentOf(value));
}

function segmentOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return hashArguments([value]);
  return String(value);
}

function functionBuilder(template: (...args: unknown[]) => string, site: TemplateSite): KeyBuilder {
  return (args) => {
    const key = template(...args);
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(`Cache key function on ${site.className}.${site.methodName} returned ${JSON.stringify(key)}; it must return a non-empty string`);
    }
    return key;
  };
}

function templateError(template: string, site: TemplateSite, problem: string): Error {
  return new Error(`Cache key template '${template}' on ${site.className}.${site.methodName}: ${problem}`);
}
