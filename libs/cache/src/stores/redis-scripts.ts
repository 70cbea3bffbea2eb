import { LuaScript } from './lua-script.js';

/**
 * Bumps a tag's version. One key. A version key that expired is re-created at a random start (with a
 * TTL), never at a number an older entry may have recorded, so an invalidated entry cannot become valid again.
 */
export const INVALIDATE_TAG = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return tonumber(ARGV[1])`);

/** Writes an entry only while the load lock holds the caller's token, then releases it. Entry and lock share a slot. */
export const SET_IF_LOCKED = new LuaScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1`);

/** Deletes the load lock only if it still holds the caller's token. One key. */
export const RELEASE_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);
