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
import { AppError, ErrorCode, formatMessage, msg, type Msg } from '../../shared'
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
    throw new AppError(ErrorCode.FailedPrecondition, msg('restore.rehearsal.noEtcdctl'), msg('restore.rehearsal.noEtcdctlHint'))
  const steps: RehearsalStep[] = []
  const noteMsgs: Msg[] = []
  const notes = { push: (m: Msg) => noteMsgs.push(m) }
  const step = (title: Msg, command: string, ok: boolean, ms: number, output = '') => steps.push({ title: formatMessage(title), titleMsg: title, command, ok, ms, output })

  // The file every member restores from, checked as each script checks it.
  const restoreFile = plan.bump?.mode === 'file' ? path.join(planDir, plan.restoreFile.fileName) : plan.snapshot.path
  if (!existsSync(restoreFile)) throw new AppError(ErrorCode.NotFound, msg('restore.rehearsal.fileGone', { file: restoreFile }), msg('restore.rehearsal.makeAgain'))
  const tSum = performance.now()
  const sum = await sha256File(restoreFile)
  if (sum !== plan.restoreFile.sha256)
    throw new AppError(ErrorCode.FailedPrecondition, msg('restore.rehearsal.fileChanged', { file: restoreFile, sum, planned: plan.restoreFile.sha256 }), msg('restore.rehearsal.fileChangedHint'))
  step(msg('restore.rehearsal.checkFile'), `sha256sum ${restoreFile}`, true, Math.round(performance.now() - tSum), sum)

  const base = `${procedure === 'plan' ? 'rehearsal' : 'naive'} ${plan.id.slice(-6)}`
  let name = base
  for (let i = 2; !(await deps.playgrounds.nameFree(name)); i++) name = `${base}-${i}`
  const ports = await deps.playgrounds.freePorts(plan.members.length)
  const mapped = onLoopback(
    plan,
    ports.map((p) => ({ peer: p.peerPort, client: p.clientPort })),
    plan.members.map(() => ''),
  )
  notes.push(msg('restore.rehearsal.loopbackNote', { here: mapped.clusterId, production: plan.clusterId }))

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
          step(msg('restore.rehearsal.restoreOnce'), `etcdctl snapshot restore ${restoreFile} --data-dir=${once}`, r.ok, r.ms, r.output)
          if (!r.ok) throw new AppError(ErrorCode.FailedPrecondition, msg('restore.rehearsal.restoreFailed', { output: r.output }))
        } else {
          const t = performance.now()
          await restoreSnapshot(restoreFile, { name: 'default', dataDir: once, walDir: '', initialCluster: new Map([['default', ['http://localhost:2380']]]), initialClusterToken: DEFAULT_TOKEN, initialAdvertisePeerUrls: ['http://localhost:2380'] })
          step(msg('restore.rehearsal.restoreOnce'), `raftdeck snapshot restore ${restoreFile} --data-dir=${once}`, true, Math.round(performance.now() - t))
        }
        for (const [i, m] of mapped.members.entries()) {
          const t = performance.now()
          cpSync(once, target(i), { recursive: true })
          step(msg('restore.rehearsal.copyTo', { name: m.name }), `cp -a ${once} ${target(i)}`, true, Math.round(performance.now() - t))
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
        step(msg('restore.rehearsal.bumpCopy'), `raftdeck: revision ${b.from} → ${b.to}, scheduledCompactRev ${b.to}`, true, Math.round(performance.now() - t))
        notes.push(msg('restore.rehearsal.bumpCopyNote'))
      }
      if (plan.members.some((m) => m.tool === 'etcdutl') && engine === 'etcd')
        notes.push(msg('restore.rehearsal.etcdutlNote'))
      if (engine === 'etcd') {
        for (const [i, m] of mapped.members.entries()) {
          const argv = restoreArgv(mapped, m, file, target(i), { name: 'etcdctl', bumpFlags })
          const r = await runCommand(etcdctl!, argv.slice(1), { ETCDCTL_API: '3' })
          step(msg('restore.rehearsal.restoreOwn', { name: m.name }), argv.join(' '), r.ok, r.ms, r.output)
          if (!r.ok) throw new AppError(ErrorCode.FailedPrecondition, msg('restore.rehearsal.restoreFailedFor', { name: m.name, output: r.output }))
        }
      } else {
        const t = performance.now()
        await restoreCluster(
          file,
          { initialCluster: new Map(mapped.members.map((m) => [m.name, m.peerURLs])), initialClusterToken: mapped.token, dataDirs: new Map(mapped.members.map((m, i) => [m.name, target(i)])) },
          bumpFlags && plan.bump ? { bumpRevision: plan.bump.revision, markCompacted: true } : {},
        )
        const ms = Math.round(performance.now() - t)
        for (const [i, m] of mapped.members.entries()) step(msg('restore.rehearsal.restoreOwn', { name: m.name }), ['raftdeck', ...restoreArgv(mapped, m, file, target(i), { name: 'etcdctl', bumpFlags }).slice(1)].join(' '), true, ms)
      }
    },
  })
  step(msg(engine === 'etcd' ? 'restore.rehearsal.startEtcd' : 'restore.rehearsal.startRaftdeck', { count: String(summary.members.length) }), `--initial-cluster=${initialCluster(mapped)}`, true, 0)
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
    notes: noteMsgs.map(formatMessage),
    notesMsg: noteMsgs,
    elapsedMs: Math.round(performance.now() - t0),
  }
}
