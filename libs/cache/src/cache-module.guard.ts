import type { ModulesContainer } from '@nestjs/core';
import type { Module } from '@nestjs/core/injector/module.js';
import { CACHE_NAME, RAW_CACHE_OPTIONS } from './cache.constants.js';
import type { CacheModuleOptions } from './options/cache-options.interface.js';
import { InvalidCacheOptionError } from './cache.errors.js';

/** A factory of `forRootAsync` cannot rename its cache: the injection tokens exist before it runs. */
export function assertNameGivenUpFront(options: CacheModuleOptions, name: string): void {
  if (options.name === undefined || options.name === name) return;
  throw new InvalidCacheOptionError('name', `the factory returned '${options.name}' for the cache named '${name}'; give the name to forRootAsync({ name }) itself`);
}

/**
 * Fails startup when two caches of one application share a namespace (their keys, bus channel and
 * metric series would mix) or two global caches share a name (which one a class gets would depend on
 * module order). A cache whose async options are not built yet is checked when they are.
 */
// NOTE: checked while options are resolved, before any connection is opened.
export function assertDistinctCaches(modules: ModulesContainer, options: CacheModuleOptions, name: string): void {
  const caches = [...modules.values()].filter((module) => module.providers.has(CACHE_NAME));
  const self = caches.find((module) => rawOptionsOf(module) === options);
  for (const other of caches) {
    if (other === self) continue;
    if (rawOptionsOf(other)?.namespace === options.namespace) {
      throw new InvalidCacheOptionError('namespace', `caches '${String(nameOf(other))}' and '${name}' of one application both use namespace '${options.namespace}'; give each its own`);
    }
    if (self?.isGlobal && other.isGlobal && nameOf(other) === name) {
      throw new InvalidCacheOptionError('name', `two global caches of one application are named '${name}'; give each its own name`);
    }
  }
}

function nameOf(module: Module): unknown {
  return module.providers.get(CACHE_NAME)?.instance;
}

function rawOptionsOf(module: Module): Partial<CacheModuleOptions> | undefined {
  const raw: unknown = module.providers.get(RAW_CACHE_OPTIONS)?.instance;
  return raw !== null && typeof raw === 'object' ? raw : undefined;
}
