/**
 * mulberry32: a small, fast seeded generator, uniform in [0, 1). For reproducible test inputs,
 * fuzz cases and benchmark data (not for the trainer, whose Rng in src/trainer/prng.ts keeps its
 * own stream for checkpoint-stable repeatability).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
