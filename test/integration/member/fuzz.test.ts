// The gRPC fuzzer in CI, with a bounded budget (`npm run fuzz` runs it longer; see test/fuzz/cli.ts):
// generated calls to every method of the six etcd services against a 3-member cluster, auth off and
// on, checking after every batch that every member is alive, one leader leads, every member serves
// reads and HashKV is equal; then the same generator against real etcd 3.4, where every difference
// in error class must be one we keep on purpose (test/fuzz/compare.ts lists them with reasons).
//
// FUZZ_SEED picks another seed; FUZZ_SECONDS another budget per phase.
import { afterAll, describe, expect, it } from 'vitest'
import { ALL_METHODS } from '../../fuzz/arbitraries'
import { compareWithEtcd, formatCompare, isKnown } from '../../fuzz/compare'
import { formatReport, fuzz } from '../../fuzz/runner'
import { FuzzTarget } from '../../fuzz/target'
import { cleanupAll } from './support/procs'

const seed = Number(process.env.FUZZ_SEED ?? 20261313)
const seconds = Number(process.env.FUZZ_SECONDS ?? 22)

afterAll(cleanupAll)

describe('gRPC fuzz', () => {
  it('no generated call breaks a 3-member cluster: one leader, reads served, HashKV equal after every batch', async () => {
    const target = new FuzzTarget({ kind: 'raftdeck' })
    await target.start()
    try {
      const report = await fuzz(target, {
        seed,
        runs: 100_000,
        timeLimitMs: seconds * 1000,
        batchSize: 30,
        concurrency: 4,
        phases: ['auth-off', 'auth-on'],
        hugeKeys: true,
        log: () => {},
      })
      const text = formatReport(report)
      process.stdout.write(`${text}\n`)
      expect(report.failures, text).toEqual([])
      expect(report.messages).toBeGreaterThan(200)
      expect([...report.methods.keys()].sort(), 'every method of the six services was called').toEqual([...ALL_METHODS].sort())
    } finally {
      await target.stop()
    }
  }, 240_000)

  it('the same calls against real etcd 3.4 differ in error class only in the ways we keep on purpose', async () => {
    const report = await compareWithEtcd({ seed, batches: 3, batchSize: 25, phases: ['auth-off', 'auth-on'], log: () => {} })
    const text = formatCompare(report)
    process.stdout.write(`${text}\n`)
    expect(report.unexpectedExits, text).toEqual([])
    expect(report.differences.filter((d) => !isKnown(d)), text).toEqual([])
    expect(report.calls).toBeGreaterThan(100)
  }, 240_000)
})
