import { MissingPeerDependencyError } from '../cache.errors.js';

/** The optional peer dependencies, each loaded only by the feature that needs it. */
export type OptionalPeer = 'bullmq' | 'cron' | 'pg' | 'prom-client';

const loaded = new Map<OptionalPeer, unknown>();

/**
 * Imports `name` for `feature` (e.g. `'writeBehind'`), rejecting with a {@link MissingPeerDependencyError}
 * when it is not installed.
 */
// NOTE: a dynamic import, not a static one, so an application that does not use the feature starts
// without the package; a native import (not createRequire) so the peer is the instance the app imports.
export async function loadOptionalPeer<T>(name: OptionalPeer, feature: string): Promise<T> {
  if (loaded.has(name)) return loaded.get(name) as T;
  let module: unknown;
  try {
    module = await import(name);
  } catch (error) {
    if (isNotFound(error, name)) throw new MissingPeerDependencyError(name, feature);
    throw error;
  }
  loaded.set(name, module);
  return module as T;
}

/** The module {@link loadOptionalPeer} loaded earlier at startup. */
export function loadedPeer<T>(name: OptionalPeer): T {
  if (!loaded.has(name)) throw new Error(`nestjs-tiered-cache: '${name}' is used before it was loaded`);
  return loaded.get(name) as T;
}

function isNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return missing && error instanceof Error && error.message.includes(`'${name}'`);
}
