import type { DiscoveryService } from '@nestjs/core';
import { tablesHandledBy } from './on-table-change.decorator.js';
import type { BoundTableHandler } from './table-change.dispatcher.js';
import type { TableChangeHandler } from './table-change.interface.js';
import { CacheDecoratorError } from '../cache.errors.js';

const TABLE_NAME = /^(?:[A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Finds the `@OnTableChange` methods of singleton providers, keyed by qualified table name
 * (`products` → `public.products`). A bad table name fails startup, naming the method.
 */
export function discoverTableHandlers(discovery: DiscoveryService): Map<string, BoundTableHandler[]> {
  const handlers = new Map<string, BoundTableHandler[]>();
  for (const wrapper of discovery.getProviders()) {
    const instance: unknown = wrapper.instance;
    if (instance === null || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const property of methodNames(prototype)) {
      const tables = tablesHandledBy(prototype, property);
      if (!tables) continue;
      const name = `${prototype.constructor.name}.${property}`;
      const method = (instance as Record<string, TableChangeHandler>)[property];
      for (const table of tables) {
        const qualified = qualify(table, name);
        handlers.set(qualified, [...(handlers.get(qualified) ?? []), { name, handle: (change) => method.call(instance, change) }]);
      }
    }
  }
  return handlers;
}

function qualify(table: unknown, name: string): string {
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new CacheDecoratorError(name, `@OnTableChange: ${JSON.stringify(table)} is not a table name ('products' or 'schema.products')`);
  }
  return table.includes('.') ? table : `public.${table}`;
}

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let current: object | null = prototype; current && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
    for (const property of Object.getOwnPropertyNames(current)) if (property !== 'constructor') names.add(property);
  }
  return [...names];
}
