/**
 * Sorting that gives the event loop a turn every few milliseconds: a bottom-up merge sort whose runs
 * and merges check the clock as they go. For the few places where a member must order hundreds of
 * thousands of revisions (the compacted part of a history, for HashKV and etcd snapshots) without
 * holding its Raft thread for the whole sort.
 */
const RUN = 2048

/**
 * A pause for sliced work: call it often; it gives the event loop a turn once `sliceMs` have gone by
 * since the last turn, and otherwise returns at once.
 */
export function turnsEvery(sliceMs: number): () => Promise<void> {
  let t0 = performance.now()
  return async () => {
    if (performance.now() - t0 < sliceMs) return
    await new Promise((r) => setImmediate(r))
    t0 = performance.now()
  }
}

export async function sortSliced<T>(items: T[], cmp: (a: T, b: T) => number, sliceMs = 5): Promise<T[]> {
  const pause = turnsEvery(sliceMs)
  const n = items.length
  let src = items.slice()
  for (let lo = 0; lo < n; lo += RUN) {
    const run = src.slice(lo, lo + RUN).sort(cmp)
    for (let i = 0; i < run.length; i++) src[lo + i] = run[i]!
    await pause()
  }
  let dst: T[] = new Array<T>(n)
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n)
      const hi = Math.min(lo + 2 * width, n)
      let i = lo
      let j = mid
      let k = lo
      while (i < mid && j < hi) {
        dst[k++] = cmp(src[j]!, src[i]!) < 0 ? src[j++]! : src[i++]!
        if ((k & 4095) === 0) await pause()
      }
      while (i < mid) dst[k++] = src[i++]!
      while (j < hi) dst[k++] = src[j++]!
    }
    ;[src, dst] = [dst, src]
    await pause()
  }
  return src
}
