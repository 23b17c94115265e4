// The restore plan: one value computed from the snapshot and the target, from which the scripts, the
// rehearsal and the verification are all derived. Pure: no files, no network.
//
// What it decides:
//   - the new cluster token (fresh unless given) shared by every member;
//   - every member's ID and the cluster ID, exactly as etcd derives them (member/ids.ts);
//   - the restore tool per member (etcdctl on 3.4, etcdutl on 3.5 and 3.6);
//   - the revision bump: on by default for Kubernetes, as --bump-revision/--mark-compacted where the
//     member's etcd has them, otherwise written into one copy of the snapshot that every member uses.

import { randomBytes } from 'node:crypto'
import { AppError, ErrorCode, formatMessage, msg, type Msg } from '../../shared'
import type { EtcdFamily, PlanBump, PlanMember, PlanMemberInput, RestorePlan } from '../../shared/api/restore'
import { DEFAULT_MEMBER_ID, memberProblemMsgs, parseEtcdUrl, parseFamily, tokenProblemMsg } from '../../shared/api/restoreRules'
import { clusterIdFor, memberIdFor, toHex } from '../../member/ids'

/** The bump etcd's docs suggest for Kubernetes: about a week of writes at 1,500/s. */
export const DEFAULT_K8S_BUMP = 1_000_000_000

export interface SnapshotFacts {
  path: string
  fileName: string
  sha256: string
  bytes: number
  revision: number
  totalKey: number
  liveKeys: number
  kubernetes: boolean
}

export interface PlanOptions {
  token?: string
  /** 0: no bump; undefined: the default (on for Kubernetes). */
  bumpRevision?: number
  kubernetes?: boolean
  /** The live cluster's revision when known: the bump must cover what clients saw. */
  liveRevision?: number
  now?: number
}

/** etcdctl's hex form of an ID (%x: no zero padding). */
export const hexId = (decimal: string): string => toHex(decimal)
export const decimalId = (hex: string): string => BigInt(`0x${hex}`).toString()

export function freshToken(now = Date.now()): string {
  return `etcd-restore-${stampOf(now).slice(0, 8)}-${randomBytes(6).toString('hex')}`
}

/** YYYYMMDD-HHMMSS in UTC: the suffix of moved-aside data dirs, identical on every member. */
export function stampOf(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
}

/** Whether the member's etcd restore takes --bump-revision/--mark-compacted (3.4.27+, 3.5.10+, 3.6). */
export function bumpFlagsSupported(family: EtcdFamily, patch: number | null): boolean {
  if (family === '3.6') return true
  // An unknown 3.5 patch is assumed current; the script checks the flag before it stops anything.
  if (family === '3.5') return patch === null || patch >= 10
  return patch !== null && patch >= 27
}

function invalid(problems: Record<string, Msg>): AppError {
  const [field, problem] = Object.entries(problems)[0]!
  const n = Object.keys(problems).length
  const english = Object.fromEntries(Object.entries(problems).map(([k, m]) => [k, formatMessage(m)]))
  return new AppError(ErrorCode.InvalidParams, msg('restore.plan.invalid', { field, problem }), n > 1 ? msg('restore.plan.invalidMore', { count: String(n) }) : undefined, { problems: english })
}

/** Why a revision bump is there, for the plan and its steps. */
export const bumpWhyMsg = (kubernetes: boolean): Msg => (kubernetes ? msg('restore.plan.bumpWhyKubernetes') : msg('restore.plan.bumpWhy'))

/** The member IDs and cluster ID a set of peer URLs and a token give (hex), as etcd derives them. */
export function deriveIds(members: { name: string; peerURLs: string[] }[], token: string): { clusterId: string; ids: string[] } {
  const dec = members.map((m) => memberIdFor(m.peerURLs.map(canonicalUrl), token))
  return { ids: dec.map(hexId), clusterId: hexId(clusterIdFor(dec)) }
}

/** etcd compares URLs as written; Raftdeck only trims a trailing slash. */
export function canonicalUrl(u: string): string {
  return u.replace(/\/+$/, '')
}

export function buildPlan(snapshot: SnapshotFacts, inputs: PlanMemberInput[], o: PlanOptions = {}, restoreFile?: { fileName: string; sha256: string; bytes: number }): RestorePlan {
  const problems = memberProblemMsgs(inputs)
  if (Object.keys(problems).length) throw invalid(problems)
  const now = o.now ?? Date.now()
  const token = o.token ?? freshToken(now)
  const tp = tokenProblemMsg(token)
  if (tp) throw invalid({ token: tp })
  const { ids, clusterId } = deriveIds(inputs, token)
  if (new Set(ids).size !== ids.length) throw invalid({ members: msg('restore.plan.sameId') })
  if (ids.includes(DEFAULT_MEMBER_ID)) throw invalid({ members: msg('restore.plan.defaultId', { id: DEFAULT_MEMBER_ID }) })

  // Notes as catalog messages (the UI's language); plan.notes keeps their English.
  const noteMsgs: Msg[] = []
  const notes = { push: (m: Msg) => noteMsgs.push(m) }
  const versions = inputs.map((m) => parseFamily(m.etcdVersion) as { family: EtcdFamily; patch: number | null })
  const kubernetes = o.kubernetes ?? snapshot.kubernetes
  const gap = o.liveRevision !== undefined ? o.liveRevision - snapshot.revision : 0
  let bumpBy: number
  if (o.bumpRevision !== undefined) bumpBy = o.bumpRevision
  else if (kubernetes) bumpBy = Math.max(DEFAULT_K8S_BUMP, gap * 2)
  else bumpBy = 0
  if (bumpBy > 0 && gap > 0 && bumpBy <= gap)
    notes.push(msg('restore.plan.bumpTooSmall', { bump: String(bumpBy), gap: String(gap), least: String(gap + 1) }))

  let bump: PlanBump | null = null
  if (bumpBy > 0) {
    const allFlags = versions.every((v) => bumpFlagsSupported(v.family, v.patch))
    bump = {
      revision: bumpBy,
      markCompacted: true,
      mode: allFlags ? 'flags' : 'file',
      why: formatMessage(bumpWhyMsg(kubernetes)),
    }
    if (!allFlags) {
      const old = inputs
        .filter((_, i) => !bumpFlagsSupported(versions[i]!.family, versions[i]!.patch))
        .map((m) => formatMessage(msg('restore.plan.oldMember', { name: m.name, version: m.etcdVersion })))
      notes.push(msg('restore.plan.bumpInFile', { members: old.join(', ') }))
    } else if (versions.some((v) => v.family === '3.5' && v.patch === null)) notes.push(msg('restore.plan.bumpNeedsPatch'))
  } else if (kubernetes) notes.push(msg('restore.plan.noBumpKubernetes'))
  else if (gap > 0) notes.push(msg('restore.plan.liveAhead', { gap: String(gap) }))

  const families = new Set(versions.map((v) => v.family))
  if (families.size > 1) notes.push(msg('restore.plan.mixedVersions', { families: [...families].sort().join(', ') }))
  if (inputs.length > 1 && inputs.every((m) => m.peerURLs.every((u) => (parseEtcdUrl(u) as { loopback: boolean }).loopback))) notes.push(msg('restore.plan.allLoopback'))
  if (inputs.length % 2 === 0) notes.push(msg('restore.plan.evenMembers', { count: String(inputs.length), less: String(inputs.length - 1) }))

  const members: PlanMember[] = inputs.map((m, i) => ({
    name: m.name,
    id: ids[i]!,
    peerURLs: m.peerURLs.map(canonicalUrl),
    clientURLs: m.clientURLs.map(canonicalUrl),
    dataDir: m.dataDir.length > 1 ? m.dataDir.replace(/\/+$/, '') : m.dataDir,
    etcdVersion: m.etcdVersion,
    family: versions[i]!.family,
    tool: versions[i]!.family === '3.4' ? 'etcdctl' : 'etcdutl',
    run: m.run,
  }))
  const stamp = stampOf(now)
  return {
    version: 1,
    id: `${stamp}-${randomBytes(3).toString('hex')}`,
    createdAt: now,
    stamp,
    token,
    clusterId,
    members,
    snapshot: { ...snapshot },
    restoreFile: restoreFile ?? { fileName: snapshot.fileName, sha256: '', bytes: snapshot.bytes },
    bump,
    kubernetes,
    expect: { minRevision: snapshot.revision + (bump?.revision ?? 0), liveKeys: snapshot.liveKeys },
    notes: noteMsgs.map(formatMessage),
    notesMsg: noteMsgs,
  }
}

/** A copy of the plan whose URLs point at this machine (for the rehearsal): same names and token, IDs derived again. */
export function onLoopback(plan: RestorePlan, ports: { peer: number; client: number }[], dataDirs: string[]): RestorePlan {
  const members = plan.members.map((m, i) => ({ ...m, peerURLs: [`http://127.0.0.1:${ports[i]!.peer}`], clientURLs: [`http://127.0.0.1:${ports[i]!.client}`], dataDir: dataDirs[i]! }))
  const { ids, clusterId } = deriveIds(members, plan.token)
  return { ...plan, clusterId, members: members.map((m, i) => ({ ...m, id: ids[i]! })) }
}

/** --initial-cluster of the plan: name=peerURL for every member and URL. */
export function initialCluster(plan: Pick<RestorePlan, 'members'>): string {
  return plan.members.flatMap((m) => m.peerURLs.map((u) => `${m.name}=${u}`)).join(',')
}

/**
 * The restore command of one member, as argv: the one place the flags are written, used by the
 * scripts (shell-quoted) and by the rehearsal (run as is). `target` is where the data dir is written.
 */
export function restoreArgv(plan: RestorePlan, member: PlanMember, snapshotPath: string, target: string, tool: { name: 'etcdctl' | 'etcdutl'; bumpFlags: boolean } = { name: member.tool, bumpFlags: plan.bump?.mode === 'flags' }): string[] {
  const argv = [
    tool.name,
    'snapshot',
    'restore',
    snapshotPath,
    `--name=${member.name}`,
    `--initial-cluster=${initialCluster(plan)}`,
    `--initial-cluster-token=${plan.token}`,
    `--initial-advertise-peer-urls=${member.peerURLs.join(',')}`,
    `--data-dir=${target}`,
  ]
  if (plan.bump && tool.bumpFlags) argv.push(`--bump-revision=${plan.bump.revision}`, '--mark-compacted')
  return argv
}
