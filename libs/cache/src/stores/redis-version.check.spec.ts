import { EventEmitter } from 'node:events';
import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { jest } from '@jest/globals';
import { isSupportedVersion, requireRedisVersion } from './redis-version.check.js';

/** A stand-in for a connection: only `INFO server` and the `ready` event, the two things the check uses. */
function fakeRedis(info: () => Promise<string>): Redis {
  return Object.assign(new EventEmitter(), { info }) as unknown as Redis;
}

function fakeLogger(): Logger & { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  return { errors, warnings, error: (message: string) => errors.push(message), warn: (message: string) => warnings.push(message) } as never;
}

const serverInfo = (version: string) => async () => `# Server\r\nredis_version:${version}\r\nredis_mode:standalone\r\n`;

describe('requireRedisVersion (issue 7.22)', () => {
  it.each([['7.0.0', true], ['7.2.4', true], ['10.1.0', true], ['6.2.14', false], ['5.0.7', false]])('%s supported: %p', (version, supported) => {
    expect(isSupportedVersion(version)).toBe(supported);
  });

  it('fails startup on a connected Redis older than 7.0, naming the version', async () => {
    await expect(requireRedisVersion(fakeRedis(serverInfo('6.2.14')), true, fakeLogger())).rejects.toThrow(
      /Redis 7\.0\.0 or newer is required \(PEXPIRE \.\.\. GT\); found 6\.2\.14/,
    );
    await expect(requireRedisVersion(fakeRedis(serverInfo('7.0.15')), true, fakeLogger())).resolves.toBeUndefined();
  });

  it('checks on the first ready when Redis was down at startup, logging an error', async () => {
    const redis = fakeRedis(serverInfo('6.0.0'));
    const logger = fakeLogger();
    await requireRedisVersion(redis, false, logger);
    expect(logger.errors).toEqual([]);
    (redis as unknown as EventEmitter).emit('ready');
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.errors).toEqual([expect.stringMatching(/found 6\.0\.0/)]);
  });

  it('logs a warning and goes on when INFO is refused', async () => {
    const logger = fakeLogger();
    await requireRedisVersion(fakeRedis(() => Promise.reject(new Error("ERR unknown command 'INFO'"))), true, logger);
    expect(logger.warnings).toEqual([expect.stringMatching(/Could not check the Redis version.*unknown command/)]);
  });

  it('does not hold startup when a connected Redis never answers INFO', async () => {
    jest.useFakeTimers();
    try {
      const logger = fakeLogger();
      const check = requireRedisVersion(fakeRedis(() => new Promise<string>(() => undefined)), true, logger);
      await jest.advanceTimersByTimeAsync(5_000);
      await expect(check).resolves.toBeUndefined();
      expect(logger.warnings).toEqual([expect.stringMatching(/Could not check the Redis version.*no reply within 5000 ms/)]);
    } finally {
      jest.useRealTimers();
    }
  });
});
