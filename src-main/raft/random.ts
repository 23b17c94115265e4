// The core never draws randomness on its own: the caller injects a source so
// that a simulation replays exactly from its seed.

/** Returns a float in [0, 1). */
export type RandomSource = () => number

/**
 * A small seeded generator (sfc32 seeded through splitmix32). Good enough for
 * election jitter and simulation; not for cryptography.
 */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
}
