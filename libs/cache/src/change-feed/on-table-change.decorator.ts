/** Metadata key of the tables a method handles. */
export const ON_TABLE_CHANGE = Symbol('nestjs-tiered-cache:on-table-change');

/**
 * Marks a provider method as a handler of committed row changes of `table` (`'products'` is
 * `public.products`; `'sales.orders'` names the schema). It receives a `TableChange` and returns the
 * keys and tags to invalidate, or invalidates through `CacheService` itself. Needs
 * `CacheModule.forRoot({ changeFeed })`; several handlers per table and several tables are fine.
 * @example `@OnTableChange('products') onProduct(change: TableChange) { return { keys: [\`product:${change.key.id}\`] }; }`
 */
export function OnTableChange(...tables: string[]): MethodDecorator {
  return (target, property) => {
    const existing = (Reflect.getMetadata(ON_TABLE_CHANGE, target, property) as string[] | undefined) ?? [];
    Reflect.defineMetadata(ON_TABLE_CHANGE, [...existing, ...tables], target, property);
  };
}

/** The tables a method of `prototype` handles, if it is decorated. */
export function tablesHandledBy(prototype: object, property: string): string[] | undefined {
  return Reflect.getMetadata(ON_TABLE_CHANGE, prototype, property) as string[] | undefined;
}
