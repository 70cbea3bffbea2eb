/** A seeded PRNG (mulberry32): the same seed draws the same sequence in every run. Returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The cumulative Zipf distribution over ranks 1..n, `P(k) ∝ 1 / k^s`; shared by every generator drawing from it. */
export function zipfTable(n: number, s: number): Float64Array {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 1; rank <= n; rank += 1) {
    total += 1 / rank ** s;
    cumulative[rank - 1] = total;
  }
  for (let index = 0; index < n; index += 1) cumulative[index] /= total;
  return cumulative;
}

/** Draws a rank 1..n from a {@link zipfTable} by binary search of a uniform draw. */
export function drawZipf(table: Float64Array, random: () => number): number {
  const target = random();
  let low = 0;
  let high = table.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (table[middle] < target) low = middle + 1;
    else high = middle;
  }
  return low + 1;
}
