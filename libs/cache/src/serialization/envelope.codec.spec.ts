import { randomBytes } from 'node:crypto';
import { decodeEnvelope, encodeEnvelope, entryValue } from './envelope.codec.js';
import { serialize } from './value.serializer.js';

const now = 1_700_000_000_000;
const valid = encodeEnvelope({
  createdAt: now,
  freshUntil: now + 60_000,
  staleUntil: now + 120_000,
  loadDuration: 12,
  tags: { products: 3, 'product:1': 2 ** 47 - 1 },
  bytes: serialize('k', { id: 1, at: new Date(now), byId: new Map([[1, 'one']]) }),
});

describe('decodeEnvelope', () => {
  it('decodes what encodeEnvelope wrote, value included', () => {
    const entry = decodeEnvelope(valid);
    expect(entry).toMatchObject({ createdAt: now, freshUntil: now + 60_000, staleUntil: now + 120_000, loadDuration: 12 });
    expect(entry?.tags).toEqual({ products: 3, 'product:1': 2 ** 47 - 1 });
    expect(entry && entryValue(entry)).toEqual({ id: 1, at: new Date(now), byId: new Map([[1, 'one']]) });
  });

  it('never throws: random bytes, every truncation and single-byte corruptions decode to a well-formed entry or undefined', () => {
    const inputs: Buffer[] = [];
    for (let length = 0; length < valid.length; length += 1) inputs.push(valid.subarray(0, length));
    for (let round = 0; round < 2_000; round += 1) {
      const corrupt = Buffer.from(valid);
      corrupt[round % valid.length] = randomBytes(1)[0];
      inputs.push(corrupt, randomBytes(round % 200));
    }
    for (const input of inputs) {
      const entry = decodeEnvelope(input);
      if (entry === undefined) continue;
      expect(Number.isFinite(entry.createdAt) && entry.createdAt <= entry.freshUntil && entry.freshUntil <= entry.staleUntil).toBe(true);
      for (const version of Object.values(entry.tags ?? {})) expect(Number.isFinite(version)).toBe(true);
    }
  });
});
