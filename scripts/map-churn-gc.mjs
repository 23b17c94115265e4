// `node scripts/map-churn-gc.mjs`: what a long-lived Map that gains and loses entries costs V8's
// collector, against a ring array doing the same job. Each run keeps N objects of about 1.7 KB
// alive at a time, first in, first out (insert one, drop the oldest), for 2 million operations, in
// a child process with V8's GC trace; it prints the bytes promoted to the old generation per
// operation and the full collections. An object here lives for N operations, far less than the time
// between two minor GCs, so nothing should be promoted.
//
// Why it exists (docs/member.md, "Hash tables and timers the leader churned on every put"): with
// Node 20's V8, a Map that sits in the old generation gets a new hash table when it grows, shrinks
// or fills with deleted slots, and the table it leaves behind still points at the entries it held
// then. A minor GC takes every pointer from the old generation as live, so those entries, and all
// they reach, are promoted; allocation-site pretenuring then allocates such objects old from the
// start. Node's HTTP/2 server keeps each session's streams in such a Map, which is why a member
// with many concurrent requests promotes every stream.
//   node scripts/map-churn-gc.mjs [--ops 2000000]
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)

function child(kind, n, ops) {
  const make = (i) => ({ id: i, parts: Array.from({ length: 12 }, (_, k) => ({ k, v: [i, k, `x${k}`] })) })
  let map
  let ring
  if (kind === 'ring') ring = new Array(n + 1)
  else map = new Map()
  // Let the container reach the old generation before the measured loop, as a server's does.
  for (let i = 0; i < 3; i++) globalThis.gc()
  const t0 = performance.now()
  for (let i = 0; i < ops; i++) {
    const o = make(i)
    // The same Map's entries moved to a new one now and then: a Map that never gets old.
    if (kind === 'young-map' && i % 2000 === 0) map = new Map(map)
    if (map) {
      map.set(i, o)
      if (i >= n) map.delete(i - n)
    } else {
      ring[i % (n + 1)] = o
      if (i >= n) ring[(i - n) % (n + 1)] = undefined
    }
  }
  process.stderr.write(`ms=${(performance.now() - t0).toFixed(0)}\n`)
}

function parent(ops) {
  const runs = [
    ['ring array', 'ring', []],
    ['long-lived Map', 'map', []],
    ['long-lived Map, --no-allocation-site-pretenuring', 'map', ['--no-allocation-site-pretenuring']],
    ['Map copied to a new one every 2,000 operations', 'young-map', []],
  ]
  console.log(`${ops} operations, objects of ~1.7 KB, N alive at a time (node ${process.version})`)
  console.log('container                                          N   promoted B/op  minor GCs  full GCs  time ms')
  for (const [label, kind, flags] of runs) {
    for (const n of [4, 256]) {
      const r = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--max-semi-space-size=8', ...flags, self, '--child', kind, String(n), String(ops)], { encoding: 'utf8', maxBuffer: 1 << 28 })
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`)
      let promoted = 0
      let minor = 0
      let full = 0
      for (const line of r.stdout.split('\n')) {
        const kindOf = / gc=(\w+)/.exec(line)?.[1]
        if (kindOf === 's') {
          minor++
          promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0)
        } else if (kindOf === 'mc' || kindOf === 'ms') full++
      }
      const ms = /ms=(\d+)/.exec(r.stderr)?.[1] ?? '?'
      console.log(`${label.padEnd(49)} ${String(n).padStart(3)} ${(promoted / ops).toFixed(0).padStart(15)} ${String(minor).padStart(10)} ${String(full).padStart(9)} ${ms.padStart(8)}`)
    }
  }
}

const argv = process.argv.slice(2)
if (argv[0] === '--child') child(argv[1], Number(argv[2]), Number(argv[3]))
else {
  const at = argv.indexOf('--ops')
  const ops = at >= 0 ? Number(argv[at + 1]) : 2_000_000
  if (!Number.isSafeInteger(ops) || ops <= 0) {
    console.error('usage: node scripts/map-churn-gc.mjs [--ops 2000000]')
    process.exit(2)
  }
  parent(ops)
}
