/**
 * The same generated calls against real etcd 3.4 and against raftdeck members, one at a time, on
 * the same ports (so member and cluster IDs are the same), and the calls whose outcome differs in
 * error class (gRPC code and etcd's message, numbers aside). Leases are revoked and alarms disarmed
 * after every batch on both, so no lease expires on one cluster and not on the other.
 *
 * Calls known to crash etcd 3.4 are not sent to either cluster (they would end the run); they are
 * listed as differences of their own.
 */
import fc from 'fast-check'
import { portsFor } from '../integration/member/support/procs'
import { describeCall, fuzzCall, methodOf, type FuzzCall } from './arbitraries'
import { statusName, type Phase } from './runner'
import { FuzzTarget, type Outcome } from './target'

export interface Difference {
  method: string
  etcd: string
  raftdeck: string
  count: number
  example: string
}

export interface CompareReport {
  seed: number
  calls: number
  /** Calls not sent because they take etcd 3.4 down, by reason. */
  etcdCrashers: Map<string, { count: number; example: string }>
  differences: Difference[]
  /** A member of a cluster exited on a call we did not expect to crash it. */
  unexpectedExits: string[]
}

/** Requests etcd 3.4.23 answers by exiting (every member, for proposals). */
export const ETCD_34_CRASHERS: Array<{ why: string; test: (c: FuzzCall) => boolean }> = [
  {
    why: 'Auth/RoleGrantPermission without perm: committed, then every member panics applying it (fixed in etcd 3.5, PR 13086)',
    test: (c) => c.kind === 'unary' && c.method === 'RoleGrantPermission' && !c.request.perm,
  },
  {
    why: 'Cluster/MemberUpdate of an existing member with peer URLs that do not parse: etcd 3.4 does not check them before proposing, and every member panics in rafthttp UpdatePeer',
    test: (c) => c.kind === 'unary' && c.method === 'MemberUpdate' && typeof c.request.ID === 'string' && c.request.ID.startsWith('$member') && !validUrls(c.request.peerURLs),
  },
  {
    why: 'KV/Range (or a Range in a Txn) with an unknown sort_target: nil sorter, the member panics',
    test: (c) => c.kind === 'unary' && (c.method === 'Range' || c.method === 'Txn') && hasUnknownSortTarget(c.request),
  },
]

/** etcd's types.NewURLs: at least one, each http(s)/unix(s) with host:port and no path. */
function validUrls(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false
  return v.every((u) => {
    if (u === '$peer0') return true
    try {
      const url = new URL(String(u))
      return ['http:', 'https:', 'unix:', 'unixs:'].includes(url.protocol) && url.port !== '' && (url.pathname === '' || url.pathname === '/')
    } catch {
      return false
    }
  })
}

function hasUnknownSortTarget(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Buffer.isBuffer(v)) return false
  const o = v as Record<string, unknown>
  // A non-KEY target turns sorting on (NONE becomes ASCEND); with an unknown order neither sort runs.
  if (typeof o.sort_target === 'number' && typeof o.sort_order !== 'number') return true
  return Object.values(o).some((x) => (Array.isArray(x) ? x.some(hasUnknownSortTarget) : hasUnknownSortTarget(x)))
}

/**
 * Differences we keep on purpose, each with the reason. Anything else the comparison finds is a
 * bug to fix (or a new entry here, with its reason).
 */
export const KNOWN_DIFFERENCES: Array<{ why: string; test: (d: Pick<Difference, 'method' | 'etcd' | 'raftdeck'>) => boolean }> = [
  {
    why: 'MoveLeader: the answer depends on which member leads, and the two clusters elect independently',
    test: (d) => d.method === 'Maintenance/MoveLeader' && [d.etcd, d.raftdeck].every((c) => /^(OK|FAILED_PRECONDITION etcdserver: (not leader|bad leader transferee))$/.test(c)),
  },
  {
    why: 'MoveLeader is admin-only in raftdeck (etcd 3.4 lets anyone move the leader)',
    test: (d) => d.method === 'Maintenance/MoveLeader' && /invalid auth token|user name is empty|permission denied|user name not found/.test(d.raftdeck),
  },
  {
    why: 'Raising and clearing alarms is admin-only in raftdeck (in etcd 3.4 anyone, even anonymous, can raise NOSPACE or CORRUPT and stop all writes)',
    test: (d) => d.method === 'Maintenance/Alarm' && /user name is empty|permission denied|user name not found/.test(d.raftdeck) && !/user name is empty|permission denied/.test(d.etcd),
  },
  {
    why: 'A txn needs read permission for prev_kv on its puts and permission for the ops of nested txns (etcd 3.4 checks neither)',
    test: (d) => d.method === 'KV/Txn' && d.etcd === 'OK' && /permission denied/.test(d.raftdeck),
  },
  {
    why: "Raw bytes Go's protobuf rejects (e.g. a group wire type) and protobufjs reads, skipping what it does not know: both refuse the call, for different reasons",
    test: (d) => d.etcd === 'INTERNAL <request does not decode>' && d.raftdeck !== 'OK',
  },
  {
    why: 'A watcher from a negative start revision after a compaction at revision 0: etcd drops it with CompactRevision 0, which clients do not read as a cancel; raftdeck cancels it',
    test: (d) => d.method === 'Watch/Watch' && d.raftdeck.replace('canceled; ', '').replace(' (canceled)', '') === d.etcd.replace(' (compacted)', ''),
  },
]

export const isKnown = (d: Pick<Difference, 'method' | 'etcd' | 'raftdeck'>): string | undefined => KNOWN_DIFFERENCES.find((k) => k.test(d))?.why

/** An outcome's class: ok (with watch cancel reasons), or the gRPC code and etcd's message without numbers. */
export function outcomeClass(o: Outcome): string {
  if (o.ok) return o.note ? `OK (${o.note})` : 'OK'
  let m = o.message.replace(/\d+/g, 'N')
  // The two gRPC libraries word their own errors differently; the class is what matters.
  if (/unmarshal|deserializ|parse/i.test(m)) m = '<request does not decode>'
  if (/larger than max|message larger|trying to send/i.test(m)) m = '<message over the size limit>'
  return `${statusName(o.code)} ${m}`
}

async function runAll(kind: 'raftdeck' | 'etcd', ports: Array<{ clientPort: number; peerPort: number }>, phases: Array<{ phase: Phase; batches: FuzzCall[][] }>, log: (l: string) => void) {
  const t = new FuzzTarget({ kind, ports })
  await t.start()
  const outcomes: string[] = []
  const exits: string[] = []
  try {
    for (const { phase, batches } of phases) {
      await t.setAuth(phase === 'auth-on')
      for (const batch of batches) {
        for (const c of batch) {
          let outcome = await t.run(c)
          // The harness keeps one token per user. Whether a member knows it depends on timing, on
          // etcd as here: a member that lags and installs a snapshot never sees the logins inside it.
          // Which member lags is the clusters' doing, not the request's, so a user's token refused
          // as invalid is renewed and the call sent once more, on both engines alike.
          if (['root', 'alice', 'bob'].includes(c.as) && /invalid auth token/.test(outcomeClass(outcome))) {
            await t.token(c.as, true)
            outcome = await t.run(c)
          }
          outcomes.push(outcomeClass(outcome))
          const dead = t.cluster.members.find((m) => m.proc.exitCode !== null || m.proc.signalCode !== null)
          if (dead) {
            exits.push(`${kind} member ${dead.name} exited after ${describeCall(c)}:\n${dead.log.join('').slice(-1500)}`)
            return { outcomes, exits }
          }
        }
        await t.reset()
        await t.revokeLeases()
      }
      log(`compare: ${kind} ${phase} done (${outcomes.length} calls)`)
    }
  } finally {
    await t.stop()
  }
  return { outcomes, exits }
}

export async function compareWithEtcd(o: { seed: number; batches: number; batchSize: number; phases: Phase[]; log: (l: string) => void }): Promise<CompareReport> {
  const report: CompareReport = { seed: o.seed, calls: 0, etcdCrashers: new Map(), differences: [], unexpectedExits: [] }
  const plan = o.phases.map((phase, i) => {
    const arb = fc.array(fuzzCall({ auth: phase === 'auth-on', hugeKeys: false }), { minLength: o.batchSize, maxLength: o.batchSize })
    const batches = fc.sample(arb, { seed: o.seed + i, numRuns: o.batches }).map((batch) =>
      batch.filter((c) => {
        const crash = ETCD_34_CRASHERS.find((k) => k.test(c))
        if (!crash) return true
        const e = report.etcdCrashers.get(crash.why) ?? { count: 0, example: describeCall(c) }
        e.count++
        report.etcdCrashers.set(crash.why, e)
        return false
      }),
    )
    return { phase, batches }
  })
  const calls = plan.flatMap((p) => p.batches.flat())
  report.calls = calls.length
  const ports = await portsFor(3)
  const etcd = await runAll('etcd', ports, plan, o.log)
  const ours = await runAll('raftdeck', ports, plan, o.log)
  report.unexpectedExits.push(...etcd.exits, ...ours.exits)
  const n = Math.min(etcd.outcomes.length, ours.outcomes.length)
  const groups = new Map<string, Difference>()
  for (let i = 0; i < n; i++) {
    const a = etcd.outcomes[i]!
    const b = ours.outcomes[i]!
    if (a === b) continue
    const c = calls[i]!
    const k = `${methodOf(c)}|${a}|${b}`
    const d = groups.get(k) ?? { method: methodOf(c), etcd: a, raftdeck: b, count: 0, example: describeCall(c) }
    d.count++
    groups.set(k, d)
  }
  report.differences = [...groups.values()].sort((x, y) => y.count - x.count)
  return report
}

export function formatCompare(r: CompareReport): string {
  const lines = [`compare with etcd 3.4: seed ${r.seed}, ${r.calls} calls sent to both, ${r.differences.length} kinds of difference in error class`]
  for (const [why, e] of r.etcdCrashers) lines.push(`  not sent (crashes etcd 3.4): ${e.count}× ${why}`, `      e.g. ${e.example.slice(0, 200)}`)
  for (const d of r.differences) lines.push(`  ${d.count}× ${d.method}: etcd «${d.etcd}» / raftdeck «${d.raftdeck}»${isKnown(d) ? `  [known: ${isKnown(d)}]` : '  [NEW]'}`, `      e.g. ${d.example.slice(0, Number(process.env.FUZZ_EXAMPLE_CHARS ?? 240))}`)
  for (const e of r.unexpectedExits) lines.push(`  UNEXPECTED EXIT: ${e.split('\n')[0]}`, ...e.split('\n').slice(1, 25).map((l) => `      ${l}`))
  return lines.join('\n')
}
