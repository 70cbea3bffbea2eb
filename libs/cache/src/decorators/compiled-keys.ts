import { compileKeyTemplate, defaultKeyBuilder, type KeyBuilder } from '../keys/key-template.js';
import { parseDuration } from '../options/duration.parser.js';
import type { KeyTemplate } from './cache-decorator.types.js';
import { type OperationSite } from './cache-operation.js';
import { requestArgumentProblem } from './request-arguments.guard.js';
import { CacheDecoratorError, InvalidCacheOptionError } from '../cache.errors.js';

/** Compiles a key template for a decorated method, or its default key when none is given. */
export function compileKey(site: OperationSite, template: KeyTemplate | undefined): KeyBuilder {
  if (template === undefined) {
    const problem = requestArgumentProblem(site.target, site.methodName);
    if (problem) throw new CacheDecoratorError(`${site.className}.${site.methodName}`, problem);
    return namingMethod(site, defaultKeyBuilder(site.className, site.methodName));
  }
  return compileTemplate(site, template);
}

/** A default key's hashing error (a cycle, a function, arguments too large) names the method. */
function namingMethod(site: OperationSite, build: KeyBuilder): KeyBuilder {
  return (args) => {
    try {
      return build(args);
    } catch (error) {
      throw new CacheDecoratorError(`${site.className}.${site.methodName}`, `cannot build the default key: ${(error as Error).message}`);
    }
  };
}

/** Compiles tag templates; the result builds all tags of one call. */
export function compileTags(site: OperationSite, templates: readonly KeyTemplate[] | undefined): (args: readonly unknown[]) => string[] {
  const builders = (templates ?? []).map((template) => compileTemplate(site, template));
  return (args) => builders.map((build) => build(args));
}

/** Parses a duration option of a decorator, naming the method on failure. */
export function decoratorDuration(site: OperationSite, value: unknown, option: string): number {
  try {
    return parseDuration(value, option);
  } catch (error) {
    throw new CacheDecoratorError(`${site.className}.${site.methodName}`, (error as InvalidCacheOptionError).message);
  }
}

function compileTemplate(site: OperationSite, template: KeyTemplate): KeyBuilder {
  if (typeof template !== 'string' && typeof template !== 'function') {
    throw new CacheDecoratorError(`${site.className}.${site.methodName}`, 'a key or tag must be a template string or a function');
  }
  const location = `${site.className}.${site.methodName}`;
  try {
    // NOTE: a method with default or rest parameters reports a smaller `length`; 0 means "do not check".
    return compileKeyTemplate(template as string | ((...args: unknown[]) => string), {
      className: site.className,
      methodName: site.methodName,
      parameterCount: site.parameterCount === 0 ? undefined : site.parameterCount,
    });
  } catch (error) {
    // NOTE: the template error names the method already; the prefix names it once.
    const problem = (error as Error).message.replace(` on ${location} `, ' ');
    throw new CacheDecoratorError(location, problem.charAt(0).toLowerCase() + problem.slice(1));
  }
}
