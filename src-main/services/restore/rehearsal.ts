// The rehearsal: the plan run on this machine before production is touched. A new playground gets the
// plan's member names and token, with its URLs mapped to loopback ports (so its IDs are derived again
// from those URLs); each member's data dir is written by the plan's own restore command (etcd's
// `etcdctl snapshot restore` on the etcd engine, our restore on Raftdeck members); the playground
// starts; and the same checks as after a production restore run against it.
//
// The naive procedure (restore once with etcd's defaults, copy the data dir to every member) can be
// rehearsed the same way, to see what the plan prevents: three leaders, one member ID.

import { cpSync, existsSync } from 'node:fs'
import path from 'node:path'
import { writeBumpedSnapshot } from '../../bbolt'
import { restoreCluster, restoreSnapshot } from '../../member/restore/restore'
import { AppError, ErrorCode } from '../../shared'
import type { RehearsalResult, RehearsalStep, RestorePlan } from '../../shared/api/restore'
import { DEFAULT_TOKEN } from '../../shared/api/restoreRules'
import { gatherFacts, verifyCluster, type Expectations } from '../cluster/checks'
import type { Logger } from '../log'
import { etcdctlSupportsBump, runCommand } from '../playground/etcdRestore'
import type { PlaygroundService } from '../playground/service'
import { decimalId, initialCluster, onLoopback, restoreArgv } from './plan'
import { sha256File } from './planStore'

export function expectationsOf(plan: RestorePlan): Expectations {
  return {
    planId: plan.id,
    clusterId: decimalId(plan.clusterId),
    members: plan.members.map((m) => ({ name: m.name, id: decimalId(m.id), peerURLs: m.peerURLs, clientURLs: m.clientURLs })),
    snapshotRevision: plan.snapshot.revision,
    bump: plan.bump?.revision ?? 0,
    liveKeys: plan.snapshot.liveKeys,
  }
}

export interface RehearsalDeps {
  playgrounds: PlaygroundService
  etcdctl: string | null
  log: Logger
}

const READY_TIMEOUT_MS = 120_000

/** Waits until every endpoint answers and knows a leader (or the time is up: the checks then say what is wrong). */
async function settle(deps: RehearsalDeps, playgroundId: string, endpoints: string[]): Promise<void> {
  const client = await deps.playgrounds.client(playgroundId)
  const deadline = Date.now() + READY_TIMEOUT_MS
  let delay = 100
  while (Date.now() < deadline) {
    const facts = await gatherFacts(client, endpoints, undefined, 1000)
    if (facts.every((f) => f.ok && f.leader && f.leader !== '0')) return
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(1000, delay * 2)
  }
}

export async function rehearse(plan: RestorePlan, planDir: string, engine: 'etcd' | 'raftdeck', procedure: 'plan' | 'naive', deps: RehearsalDeps): Promise<RehearsalResult> {
  const t0 = performance.now()
  const etcdctl = deps.etcdctl
  if (engine === 'etcd' && !etcdctl)
    throw new AppError(ErrorCode.FailedPrecondition, 'No etcdctl on this machine: a rehearsal on real etcd restores with etcd’s own etcdctl.', 'Install etcd-server and etcd-client (Debian), or rehearse on Raftdeck members.')
  const steps: RehearsalStep[] = []
  const notes: string[] = []
  const step = (title: string, command: string, ok: boolean, ms: number, output = '') => steps.push({ title, command, ok, ms, output })

  // The file every member restores from, checked as each script checks it.
  const restoreFile = plan.bump?.mode === 'file' ? path.join(planDir, plan.restoreFile.fileName) : plan.snapshot.path
  if (!existsSync(restoreFile)) throw new AppError(ErrorCode.NotFound, `The plan's restore file is gone: ${restoreFile}.`, 'Make the plan again.')
  const tSum = performance.now()
  const sum = await sha256File(restoreFile)
  if (sum !== plan.restoreFile.sha256) throw new AppError(ErrorCode.FailedPrecondition, `${restoreFile} changed since the plan was made (SHA-256 ${sum}, the plan says ${plan.restoreFile.sha256}).`, 'Make the plan again from the file as it is now.')
  step('Check the restore file against the plan', `sha256sum ${restoreFile}`, true, Math.round(performance.now() - tSum), sum)

  const base = `${procedure === 'plan' ? 'rehearsal' : 'naive'} ${plan.id.slice(-6)}`
  let name = base
  for (let i = 2; !(await deps.playgrounds.nameFree(name)); i++) name = `${base}-${i}`
  const ports = await deps.playgrounds.freePorts(plan.members.length)
  const mapped = onLoopback(
    plan,
    ports.map((p) => ({ peer: p.peerPort, client: p.clientPort })),
    plan.members.map(() => ''),
  )
  notes.push(`Same member names and token as the plan; URLs mapped to 127.0.0.1, so the rehearsal's IDs are derived from those URLs (cluster ${mapped.clusterId} here, ${plan.clusterId} in production).`)

  const summary = await deps.playgrounds.createRestored({
    name,
    engine,
    token: procedure === 'plan' ? plan.token : DEFAULT_TOKEN,
    members: mapped.members.map((m, i) => ({ name: m.name, clientPort: ports[i]!.clientPort, peerPort: ports[i]!.peerPort })),
    populate: async (dirs, workDir) => {
      const target = (i: number) => dirs[i]!.dataDir
      if (procedure === 'naive') {
        const once = path.join(workDir, 'restored-once')
        if (engine === 'etcd') {
          const r = await runCommand(etcdctl!, ['snapshot', 'restore', restoreFile, `--data-dir=${once}`], { ETCDCTL_API: '3' })
          step('Restore once, with etcd’s defaults (no --name, --initial-cluster or token)', `etcdctl snapshot restore ${restoreFile} --data-dir=${once}`, r.ok, r.ms, r.output)
          if (!r.ok) throw new AppError(ErrorCode.FailedPrecondition, `etcdctl snapshot restore failed: ${r.output}`)
        } else {
          const t = performance.now()
          await restoreSnapshot(restoreFile, { name: 'default', dataDir: once, walDir: '', initialCluster: new Map([['default', ['http://localhost:2380']]]), initialClusterToken: DEFAULT_TOKEN, initialAdvertisePeerUrls: ['http://localhost:2380'] })
          step('Restore once, with etcd’s defaults (no --name, --initial-cluster or token)', `raftdeck snapshot restore ${restoreFile} --data-dir=${once}`, true, Math.round(performance.now() - t))
        }
        for (const [i, m] of mapped.members.entries()) {
          const t = performance.now()
          cpSync(once, target(i), { recursive: true })
          step(`Copy that data dir to ${m.name}`, `cp -a ${once} ${target(i)}`, true, Math.round(performance.now() - t))
        }
        return
      }
      let file = restoreFile
      let bumpFlags = plan.bump?.mode === 'flags'
      if (engine === 'etcd' && bumpFlags && !(await etcdctlSupportsBump(etcdctl!))) {
        // This etcdctl predates --bump-revision: the same bump goes into a copy, as a 'file' plan does.
        const t = performance.now()
        file = path.join(workDir, 'snapshot-bumped.db')
        const b = writeBumpedSnapshot(restoreFile, file, BigInt(plan.bump!.revision))
        bumpFlags = false
        step(`Write the bump into a copy (this machine's etcdctl has no --bump-revision)`, `raftdeck: revision ${b.from} → ${b.to}, scheduledCompactRev ${b.to}`, true, Math.round(performance.now() - t))
        notes.push('This machine’s etcdctl has no --bump-revision: the rehearsal wrote the same bump into a copy of the snapshot, which is what the flags do inside the restore.')
      }
      if (plan.members.some((m) => m.tool === 'etcdutl') && engine === 'etcd')
        notes.push("The plan restores with etcdutl (etcd 3.5+); this machine has etcd 3.4's etcdctl, whose snapshot restore takes the same identity flags.")
      if (engine === 'etcd') {
        for (const [i, m] of mapped.members.entries()) {
          const argv = restoreArgv(mapped, m, file, target(i), { name: 'etcdctl', bumpFlags })
          const r = await runCommand(etcdctl!, argv.slice(1), { ETCDCTL_API: '3' })
          step(`Restore ${m.name} with its own identity`, argv.join(' '), r.ok, r.ms, r.output)
          if (!r.ok) throw new AppError(ErrorCode.FailedPrecondition, `etcdctl snapshot restore failed for ${m.name}: ${r.output}`)
        }
      } else {
        const t = performance.now()
        await restoreCluster(
          file,
          { initialCluster: new Map(mapped.members.map((m) => [m.name, m.peerURLs])), initialClusterToken: mapped.token, dataDirs: new Map(mapped.members.map((m, i) => [m.name, target(i)])) },
          bumpFlags && plan.bump ? { bumpRevision: plan.bump.revision, markCompacted: true } : {},
        )
        const ms = Math.round(performance.now() - t)
        for (const [i, m] of mapped.members.entries()) step(`Restore ${m.name} with its own identity`, ['raftdeck', ...restoreArgv(mapped, m, file, target(i), { name: 'etcdctl', bumpFlags }).slice(1)].join(' '), true, ms)
      }
    },
  })
  step(`Start ${summary.members.length} ${engine === 'etcd' ? 'etcd' : 'Raftdeck'} members`, `--initial-cluster=${initialCluster(mapped)}`, true, 0)
  const endpoints = summary.members.map((m) => m.clientUrl)
  await settle(deps, summary.id, endpoints)
  const client = await deps.playgrounds.client(summary.id)
  const report = await verifyCluster(client, endpoints, expectationsOf(mapped))
  deps.log.info(`rehearsed plan ${plan.id} (${procedure}, ${engine}) as playground "${name}": ${report.ok ? 'all checks passed' : report.checks.filter((c) => c.status === 'fail').map((c) => c.id).join(', ') + ' failed'}`)
  return {
    planId: plan.id,
    procedure,
    engine,
    playgroundId: summary.id,
    playgroundName: name,
    steps,
    report,
    ids: { clusterId: mapped.clusterId, members: mapped.members.map((m) => ({ name: m.name, id: m.id, peerURL: m.peerURLs[0]!, clientURL: m.clientURLs[0]! })) },
    notes,
    elapsedMs: Math.round(performance.now() - t0),
  }
}
