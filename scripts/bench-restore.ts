// npm run bench:restore — rehearsing a 3-member restore of a ~100 MB snapshot with Raftdeck, against
// the same steps scripted with etcdctl, in one run.
//
// Both sides start from the same snapshot file and end with a healthy 3-member etcd 3.4 cluster on
// loopback whose data was checked:
//   - Raftdeck: restore/plan (verify the file, index it, SHA-256, write the plan folder), then
//     restore/rehearse on the etcd engine (check the file against the plan, `etcdctl snapshot restore`
//     per member with its identity, start the members, wait for a leader, run every check: status and
//     member list of each member, key counts, HashKV, alarms);
//   - etcdctl: a bash script doing `etcdctl snapshot restore` per member with the same flags, starting
//     the three etcd, waiting for `endpoint health`, then `endpoint status` and `endpoint hashkv`.
// The plan has no revision bump here (etcdctl 3.4.23 has no --bump-revision, so the script could not do
// the same); a second rehearsal with the Kubernetes default bump (written into a copy of the snapshot)
// is timed as well.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEtcdSnapshot, type RevisionInput } from '../src-main/bbolt'
import { createServices } from '../src-main/services'
import { freePorts } from '../test/support/ports'

const TARGET_BYTES = Number(process.env.BENCH_RESTORE_MB ?? 100) * 1024 * 1024
const VALUE_SIZE = 400
const ETCD = process.env.RAFTDECK_ETCD_BINARY ?? '/usr/bin/etcd'
const ETCDCTL = '/usr/bin/etcdctl'

function history(count: number): Iterable<RevisionInput> {
  const te = new TextEncoder()
  const value = new Uint8Array(VALUE_SIZE).map((_, i) => 97 + (i % 26))
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i++) {
        const main = BigInt(i + 2)
        const key = te.encode(`/registry/pods/default/pod-${String(i).padStart(8, '0')}`)
        yield { main, sub: 0n, kv: { key, value, createRevision: main, modRevision: main, version: 1n, lease: 0n } }
      }
    },
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`

async function main(): Promise<void> {
  for (const bin of [ETCD, ETCDCTL]) statSync(bin)
  const dir = mkdtempSync(join(tmpdir(), 'raftdeck-bench-restore-'))
  const services = createServices({ dataDir: join(dir, 'app'), shell: 'browser', version: 'bench' })
  try {
    const file = join(dir, 'snapshot.db')
    const count = Math.round(TARGET_BYTES / (16 + 17 + VALUE_SIZE + 60))
    buildEtcdSnapshot(file, { revisions: history(count), consistentIndex: BigInt(count) })
    const mib = statSync(file).size / (1024 * 1024)
    console.log(`snapshot: ${count} keys under /registry/, ${mib.toFixed(1)} MiB`)
    const members = ['etcd-a', 'etcd-b', 'etcd-c'].map((name, i) => ({
      name,
      peerURLs: [`https://10.0.0.${i + 1}:2380`],
      clientURLs: [`https://10.0.0.${i + 1}:2379`],
      dataDir: '/var/lib/etcd',
      etcdVersion: '3.4.23',
      run: { kind: 'systemd' as const, unit: 'etcd' },
    }))

    // ---- Raftdeck: plan, then rehearse -------------------------------------------------------------
    let t0 = performance.now()
    const planned = await services.handlers['restore/plan']({ snapshotPath: file, members, bumpRevision: 0 })
    const planMs = performance.now() - t0
    t0 = performance.now()
    const r = await services.handlers['restore/rehearse']({ planId: planned.plan.id, engine: 'etcd', procedure: 'plan' })
    const rehearseMs = performance.now() - t0
    if (!r.report.ok) throw new Error(`the rehearsal failed its checks: ${JSON.stringify(r.report.checks.filter((c) => c.status === 'fail'))}`)
    const restoreMs = r.steps.filter((x) => x.title.startsWith('Restore ')).reduce((n, x) => n + x.ms, 0)
    const checkFileMs = r.steps[0]!.ms
    const rssMb = process.resourceUsage().maxRSS / 1024
    // The impact preview on every key of the snapshot against the rehearsal cluster (which holds the same data).
    // Heap sampled while it runs (garbage included) and after a collection when --expose-gc is on.
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const mem0 = process.memoryUsage()
    let peakHeap = mem0.heapUsed
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20)
    t0 = performance.now()
    const impact = await services.handlers['restore/impact']({ path: file, target: { kind: 'playground', id: r.playgroundId } })
    const impactMs = performance.now() - t0
    clearInterval(sampler)
    gc?.()
    const mem1 = process.memoryUsage()
    await services.handlers['playground/delete']({ id: r.playgroundId })

    // With the Kubernetes default bump, written into a copy of the snapshot (etcd 3.4.23 has no flag).
    t0 = performance.now()
    const bumped = await services.handlers['restore/plan']({ snapshotPath: file, members })
    const bumpPlanMs = performance.now() - t0
    t0 = performance.now()
    const rb = await services.handlers['restore/rehearse']({ planId: bumped.plan.id, engine: 'etcd', procedure: 'plan' })
    const bumpRehearseMs = performance.now() - t0
    if (!rb.report.ok) throw new Error('the bumped rehearsal failed its checks')
    await services.handlers['playground/delete']({ id: rb.playgroundId })

    // ---- the same steps scripted with etcdctl ----------------------------------------------------
    const ports = await freePorts(6)
    const names = ['etcd-a', 'etcd-b', 'etcd-c']
    const peer = (i: number) => `http://127.0.0.1:${ports[3 + i]}`
    const client = (i: number) => `http://127.0.0.1:${ports[i]}`
    const cluster = names.map((n, i) => `${n}=${peer(i)}`).join(',')
    const eps = names.map((_, i) => client(i)).join(',')
    const script = join(dir, 'by-hand.sh')
    writeFileSync(
      script,
      [
        '#!/usr/bin/env bash',
        'set -euo pipefail',
        'export ETCDCTL_API=3',
        'now() { date +%s%N; }',
        't0=$(now)',
        ...names.map((n, i) => `${ETCDCTL} snapshot restore ${file} --name=${n} --initial-cluster=${cluster} --initial-cluster-token=bench-token --initial-advertise-peer-urls=${peer(i)} --data-dir=${dir}/by-hand-${n} >/dev/null 2>&1`),
        't1=$(now)',
        ...names.map((n, i) => `${ETCD} --name=${n} --data-dir=${dir}/by-hand-${n} --listen-client-urls=${client(i)} --advertise-client-urls=${client(i)} --listen-peer-urls=${peer(i)} --initial-advertise-peer-urls=${peer(i)} --initial-cluster=${cluster} --initial-cluster-token=bench-token --log-level=error --logger=zap >/dev/null 2>&1 & echo $! >> ${dir}/by-hand.pids`),
        `until ${ETCDCTL} --endpoints=${eps} endpoint health >/dev/null 2>&1; do sleep 0.1; done`,
        't2=$(now)',
        `${ETCDCTL} --endpoints=${eps} endpoint status -w table >/dev/null`,
        `${ETCDCTL} --endpoints=${eps} endpoint hashkv >/dev/null`,
        't3=$(now)',
        'echo "$(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 )) $(( (t3 - t2) / 1000000 ))"',
      ].join('\n') + '\n',
    )
    t0 = performance.now()
    const byHand = spawnSync('bash', [script], { encoding: 'utf8' })
    const byHandMs = performance.now() - t0
    const pids = spawnSync('cat', [join(dir, 'by-hand.pids')], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean)
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone
      }
    }
    if (byHand.status !== 0) throw new Error(`the etcdctl script failed: ${byHand.stderr}`)
    const [hRestore, hStart, hCheck] = byHand.stdout.trim().split(' ').map(Number) as [number, number, number]

    const rdStart = rehearseMs - restoreMs - checkFileMs
    const rows = [
      ['step', 'Raftdeck', 'etcdctl script', 'ratio'],
      ['plan: verify, index, SHA-256, write the folder', s(planMs), '—', ''],
      ['check the restore file against the plan (SHA-256)', s(checkFileMs), '—', ''],
      ['etcdctl snapshot restore × 3', s(restoreMs), s(hRestore), (restoreMs / hRestore).toFixed(2)],
      ['start, leader, checks (HashKV, counts, lists)', s(rdStart), s(hStart + hCheck), (rdStart / (hStart + hCheck)).toFixed(2)],
      ['total', s(planMs + rehearseMs), s(byHandMs), ((planMs + rehearseMs) / byHandMs).toFixed(2)],
    ]
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
    for (const [i, row] of rows.entries()) {
      console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  '))
      if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '))
    }
    console.log(`with the Kubernetes bump (1e9, written into a copy): plan ${s(bumpPlanMs)}, rehearsal ${s(bumpRehearseMs)}, total ${s(bumpPlanMs + bumpRehearseMs)}`)
    console.log(`services process peak RSS during the first rehearsal: ${rssMb.toFixed(0)} MiB (snapshot ${mib.toFixed(0)} MiB)`)
    console.log(`impact preview of ${impact.snapshotKeys} snapshot keys against ${impact.liveKeys} live keys: ${s(impactMs)} (${impact.unchanged} unchanged); heap peak +${((peakHeap - mem0.heapUsed) / 1048576).toFixed(0)} MiB while it ran, ${((mem1.heapUsed - mem0.heapUsed) / 1048576).toFixed(0)} MiB kept after${gc ? ' a GC' : ' (no --expose-gc: garbage included)'}`)
    console.log('one run; the machine is shared, so absolute times vary; the ratios are from the same run')
  } finally {
    await services.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
