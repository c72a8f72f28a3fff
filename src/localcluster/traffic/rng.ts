/** Seeded randomness for the traffic simulator (mulberry32): the same seed gives the same traffic. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** An exponentially distributed draw with this mean. */
export function exponential(r: Random, mean: number): number {
  return -mean * Math.log(1 - r.next());
}

/** Index drawn with probability proportional to its weight (weights ≥ 0, some > 0). */
export function weighted(r: Random, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = r.next() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}
