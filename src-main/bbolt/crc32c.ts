// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the hash `etcdctl snapshot
// status` prints. Slicing-by-8 tables because status hashes every key and value in the
// db and a byte-at-a-time loop would dominate the time on a large snapshot.

const POLY = 0x82f63b78

const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t0[n] = c >>> 0
  }
  t.push(t0)
  for (let s = 1; s < 8; s++) {
    const prev = t[s - 1]!
    const cur = new Uint32Array(256)
    for (let n = 0; n < 256; n++) cur[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!
    t.push(cur)
  }
  return t
})()

/** Incremental CRC-32C: feed any number of chunks, then read `value`. */
export class Crc32c {
  private crc = 0xffffffff

  update(data: Uint8Array): this {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
      Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
    ]
    let crc = this.crc
    let i = 0
    const n = data.length
    const end8 = n - (n % 8)
    while (i < end8) {
      const a = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0
      crc =
        t7[a & 0xff]! ^
        t6[(a >>> 8) & 0xff]! ^
        t5[(a >>> 16) & 0xff]! ^
        t4[a >>> 24]! ^
        t3[data[i + 4]!]! ^
        t2[data[i + 5]!]! ^
        t1[data[i + 6]!]! ^
        t0[data[i + 7]!]!
      i += 8
    }
    while (i < n) {
      crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
      i++
    }
    this.crc = crc >>> 0
    return this
  }

  get value(): number {
    return (this.crc ^ 0xffffffff) >>> 0
  }
}

export function crc32c(data: Uint8Array): number {
  return new Crc32c().update(data).value
}
