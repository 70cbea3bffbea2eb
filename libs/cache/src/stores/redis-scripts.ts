import { ENVELOPE_LAYOUT } from '../serialization/envelope.codec.js';
import { LuaScript } from './lua-script.js';

// NOTE: every script that writes an entry or takes a lock is fenced by the caller's deadline, read on
// Redis's own clock: a command the caller gave up on (a stall, a partition, ioredis resending after a
// reconnect) is refused when it finally arrives, so it can never land over a newer write or a delete.
const PAST_DEADLINE = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[1]) then return -1 end`;

/**
 * Bumps a tag's version. One key. A version key that expired is re-created at a random start (with a
 * TTL), never at a number an older entry may have recorded, so an invalidated entry cannot become valid again.
 */
export const INVALIDATE_TAG = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return tonumber(ARGV[1])`);

/**
 * What a soft invalidation adds to a tag's version (a hard one adds 1): an entry whose recorded version
 * is below the current one by a multiple of this was only soft-invalidated since, and stays usable as a
 * stale value. NOTE: 2^24 keeps 2^29 soft invalidations of one tag below 2^53 (exact in a double) from
 * any random start; a version that has seen a multiple of 2^24 hard invalidations since an entry was
 * written would pass for soft, which needs 16.7 million of them within the entry's ttl + grace.
 */
export const SOFT_VERSION_STEP = 2 ** 24;

/**
 * Soft tag invalidation: adds {@link SOFT_VERSION_STEP} to the version. One key. A missing version key is
 * created as by {@link INVALIDATE_TAG}.
 */
export const SOFT_INVALIDATE_TAG = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ${SOFT_VERSION_STEP}) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return tonumber(ARGV[1])`);

/**
 * Soft delete: ends an entry's freshness at ARGV[1] (the caller's clock, epoch ms) without removing it,
 * and removes its load lock so a load that began before cannot write a fresh result. Rewrites only the
 * envelope's created-at and fresh-until (adjacent big-endian doubles); the TTL is kept.
 * KEYS: entry, lock. Returns 1 when an entry was changed.
 */
export const EXPIRE_ENTRY = new LuaScript(`
redis.call('DEL', KEYS[2])
local raw = redis.call('GET', KEYS[1])
if not raw or #raw < ${ENVELOPE_LAYOUT.headerBytes} or string.byte(raw, 1) ~= ${ENVELOPE_LAYOUT.marker} then return 0 end
local now = tonumber(ARGV[1])
if struct.unpack('>d', raw, ${ENVELOPE_LAYOUT.freshUntil + 1}) <= now then return 0 end
local created = math.min(struct.unpack('>d', raw, ${ENVELOPE_LAYOUT.createdAt + 1}), now)
local times = struct.pack('>d', created) .. struct.pack('>d', now)
redis.call('SET', KEYS[1], string.sub(raw, 1, ${ENVELOPE_LAYOUT.createdAt}) .. times .. string.sub(raw, ${ENVELOPE_LAYOUT.freshUntil + 9}), 'KEEPTTL')
return 1`);

/**
 * The tag's current version, created at a random start when missing (evicted or never used): an entry
 * never records a version that a missing key could stand for. Extends the key's TTL to at least ARGV[2].
 */
export const READ_TAG_VERSION = new LuaScript(`
local version = redis.call('GET', KEYS[1])
if version then
  redis.call('PEXPIRE', KEYS[1], ARGV[2], 'GT')
  return tonumber(version)
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return tonumber(ARGV[1])`);

/** Writes an entry and removes its load lock (entry and lock share a slot). ARGV: deadline, envelope, ttl. */
export const WRITE_ENTRY = new LuaScript(`${PAST_DEADLINE}
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1`);

/**
 * Writes a loaded entry only while the load lock holds the caller's token, then releases it.
 * ARGV: deadline, token, envelope, ttl. Returns 1 written, 0 lock lost (a delete or a newer write).
 */
export const WRITE_IF_LOCKED = new LuaScript(`${PAST_DEADLINE}
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('DEL', KEYS[2])
return 1`);

/**
 * Takes a load lock. ARGV: deadline, token, ttl, mode ('nx': only if free; 'take': replacing another
 * holder, whose write is then refused). Returns 1 taken, 0 held by another.
 */
export const TAKE_LOCK = new LuaScript(`${PAST_DEADLINE}
if ARGV[4] == 'nx' then
  if redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then return 1 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`);

/** Extends the load lock while it still holds the caller's token. One key. ARGV: token, ttl. */
export const EXTEND_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

/** Deletes the load lock only if it still holds the caller's token. One key. */
export const RELEASE_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * {@link TAKE_LOCK} for many keys of one slot in one call. KEYS: entry, lock, entry, lock, ... ARGV:
 * deadline, token, ttl, mode, then per key '1' when the caller found no entry (in mode 'nx', an entry
 * written since is returned instead of taking its lock) or '0'. Returns per key 1 taken, 0 held by
 * another, or the entry.
 */
export const TAKE_LOCKS = new LuaScript(`${PAST_DEADLINE}
local replies = {}
for index = 1, #KEYS / 2 do
  local written = ARGV[4] == 'nx' and ARGV[index + 4] == '1' and redis.call('GET', KEYS[index * 2 - 1])
  if written then
    replies[index] = written
  elseif ARGV[4] == 'nx' then
    replies[index] = redis.call('SET', KEYS[index * 2], ARGV[2], 'PX', ARGV[3], 'NX') and 1 or 0
  else
    redis.call('SET', KEYS[index * 2], ARGV[2], 'PX', ARGV[3])
    replies[index] = 1
  end
end
return replies`);

/**
 * {@link WRITE_IF_LOCKED} for many entries of one slot in one call. KEYS: entry, lock, entry, lock, ...
 * ARGV: deadline, token, then envelope and ttl per entry. Returns per entry 1 written, 0 lock lost.
 */
export const WRITE_MANY_IF_LOCKED = new LuaScript(`${PAST_DEADLINE}
local written = {}
for index = 1, #KEYS / 2 do
  local lock = KEYS[index * 2]
  if redis.call('GET', lock) == ARGV[2] then
    redis.call('SET', KEYS[index * 2 - 1], ARGV[index * 2 + 1], 'PX', ARGV[index * 2 + 2])
    redis.call('DEL', lock)
    written[index] = 1
  else
    written[index] = 0
  end
end
return written`);

/** {@link EXTEND_LOCK} and {@link RELEASE_LOCK} for many locks of one slot. ARGV: token, ttl or 'release'. */
export const EXTEND_OR_RELEASE_LOCKS = new LuaScript(`
for _, lock in ipairs(KEYS) do
  if redis.call('GET', lock) == ARGV[1] then
    if ARGV[2] == 'release' then redis.call('DEL', lock) else redis.call('PEXPIRE', lock, ARGV[2]) end
  end
end
return 1`);
