import type { InjectionToken } from '@nestjs/common';
import type { Module } from '@nestjs/core/injector/module.js';

/**
 * Whether Nest would find `token` for a class of `module`: its own provider, or one an import exports
 * (directly, or through modules that import and re-export it; global modules are among the imports).
 */
// NOTE: the lookup Nest itself does when it builds an instance, done at startup for the request-scoped and
// transient classes it builds later, whose optional cache would otherwise be missing silently.
export function canSee(module: Module, token: InjectionToken): boolean {
  return module.providers.has(token) || exportedByImports(module, token, new Set(), false);
}

function exportedByImports(module: Module, token: InjectionToken, visited: Set<string>, reexportsOnly: boolean): boolean {
  for (const imported of module.imports) {
    if (!imported || visited.has(imported.id) || (reexportsOnly && !module.exports.has(imported.metatype))) continue;
    visited.add(imported.id);
    if (imported.exports.has(token) && imported.providers.has(token)) return true;
    if (exportedByImports(imported, token, visited, true)) return true;
  }
  return false;
}
