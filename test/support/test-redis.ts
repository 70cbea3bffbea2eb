export function redisUrl(): string { return process.env.REDIS_URL ?? 'redis://127.0.0.1:6390'; }
export function uniqueNamespace(prefix = 't'): string { return `${prefix}${Math.random().toString(36).slice(2, 10)}`; }
