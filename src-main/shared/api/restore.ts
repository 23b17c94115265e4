// The guided restore of a cluster: the target (a saved connection or typed by hand), the snapshot
// (verified first), the impact preview against the live cluster, the plan (one value, rendered as
// per-member scripts, rehearsed on this machine and checked afterwards), the procedure linter, and
// snapshot files opened read-only in the key editor.
//
// Member and cluster IDs in a plan are etcdctl's hex form ("8e9e05c52164694d"); IDs read from a live
// cluster travel as decimal strings like everywhere else in the contract.
//
// Sentences the services write for people (plan steps and notes, check results, lint findings) travel
// in English and, next to them, as catalog messages (`*Msg`, `msgs`) the UI shows in its language.
// plan.json, README.md and the scripts on disk are English only.

import { s } from '../schema'
import { id, method, target } from './spec'
import type { SnapshotInfo, SnapshotProblem } from './backups'
import type { SplitDiagnosis } from '../dto'
import type { Msg } from '../i18n/message'

// ---- Snapshot ----------------------------------------------------------------------------------

export interface SnapshotReport {
  path: string
  bytes: number
  status: SnapshotInfo | null
  /** Set when verify failed: the file must not be restored. */
  problem: SnapshotProblem | null
  /** When the file was written (its modification time; snapshots carry no time of their own). */
  modifiedAt: number
  /** SHA-256 of the database part (the trailer's value), hex; null when verify failed. */
  sha256: string | null
  /** Keys alive at the snapshot's revision (etcdctl's total counts every revision of every bucket). */
  liveKeys: number | null
  /** Revisions in the key history and the compaction revision. */
  revisions: number | null
  compactRevision: number | null
  /** Keys under /registry/: a Kubernetes cluster's data. */
  kubernetes: boolean
  /** The top-level prefixes with their live key counts (first 12). */
  prefixes: { prefix: string; keys: number }[]
}

/** A snapshot file opened as a read-only target of the key editor. */
export interface OpenSnapshot {
  id: string
  path: string
  name: string
  revision: number
  liveKeys: number
}

// ---- Target ------------------------------------------------------------------------------------

export type EtcdFamily = '3.4' | '3.5' | '3.6'

/** How etcd runs on a member's host: a systemd unit, or a kubeadm static pod. */
export type RunMode = { kind: 'systemd'; unit: string } | { kind: 'kubeadm'; manifest: string }

export interface PlanMemberInput {
  name: string
  peerURLs: string[]
  clientURLs: string[]
  /** Absolute path of the member's data dir (default /var/lib/etcd). */
  dataDir: string
  /** '3.4' | '3.5' | '3.6', or an exact version such as '3.5.9' (which decides whether --bump-revision exists). */
  etcdVersion: string
  run: RunMode
}

/** What a saved connection says about the cluster to restore. */
export interface TargetDiscovery {
  connectionId: string
  name: string
  members: (PlanMemberInput & { id: string; reachable: boolean; error?: string })[]
  /** Decimal IDs and revision of the live cluster, when any member answered. */
  clusterId: string | null
  revision: string | null
  /** Endpoints that did not answer, with the error. */
  unreachable: { endpoint: string; error: string }[]
  /** Set when the endpoints disagree about what cluster they form (see ClusterStatus.split). */
  split: SplitDiagnosis | null
}

// ---- Impact preview ----------------------------------------------------------------------------

export interface ImpactGroup {
  prefix: string
  /** Keys that exist now but not in the snapshot: the restore deletes them. */
  added: number
  /** Keys in the snapshot that were deleted since: the restore brings them back. */
  deleted: number
  /** Keys whose value changed since (another mod revision): the restore puts the old value back. */
  changed: number
  unchanged: number
  /** A few example keys of each kind. */
  samples: { added: string[]; deleted: string[]; changed: string[] }
}

export interface ImpactPreview {
  snapshotRevision: number
  /** The live cluster's revision, at which every page of the comparison was read. */
  liveRevision: string
  /** liveRevision - snapshotRevision: revisions (writes) the restore undoes. */
  revisionsUndone: number
  snapshotKeys: number
  liveKeys: number
  added: number
  deleted: number
  changed: number
  unchanged: number
  groups: ImpactGroup[]
  /** Groups beyond the limit were folded into this many more. */
  moreGroups: number
  /** The live cluster is behind the snapshot, or another cluster: the numbers mean little then. */
  warning: string | null
  /** The warning as a catalog message. */
  warningMsg?: Msg | null
  elapsedMs: number
}

// ---- Plan --------------------------------------------------------------------------------------

export interface PlanMember {
  name: string
  /** Member ID as etcd derives it (hex). */
  id: string
  peerURLs: string[]
  clientURLs: string[]
  dataDir: string
  etcdVersion: string
  family: EtcdFamily
  /** The restore command of that version: etcdctl (3.4) or etcdutl (3.5, 3.6). */
  tool: 'etcdctl' | 'etcdutl'
  run: RunMode
}

export interface PlanBump {
  /** --bump-revision: the revision after restore is snapshot revision + this. */
  revision: number
  markCompacted: true
  /** 'flags': the restore command takes --bump-revision --mark-compacted; 'file': the bump is written into a copy of the snapshot by Raftdeck (for etcd versions without the flags). */
  mode: 'flags' | 'file'
  why: string
}

export interface RestorePlan {
  version: 1
  id: string
  createdAt: number
  /** Suffix of the moved-aside data dirs, the same on every member: <data-dir>.pre-restore-<stamp>. */
  stamp: string
  /** The new cluster token, shared by every member. */
  token: string
  /** Cluster ID as etcd derives it (hex). */
  clusterId: string
  members: PlanMember[]
  snapshot: {
    path: string
    fileName: string
    sha256: string
    bytes: number
    revision: number
    totalKey: number
    liveKeys: number
    kubernetes: boolean
  }
  /** The file every member restores from (the snapshot itself, or its bumped copy), with its SHA-256 of the whole file. */
  restoreFile: { fileName: string; sha256: string; bytes: number }
  bump: PlanBump | null
  kubernetes: boolean
  /** What every check after the restore expects. */
  expect: { minRevision: number; liveKeys: number }
  /** Things the operator should know (mixed versions, all members on one machine…). */
  notes: string[]
  /** The notes as catalog messages (absent in plans written before they were added). */
  notesMsg?: Msg[]
}

export interface PlanFile {
  name: string
  /** Text files only; the bumped snapshot (if any) is written next to them on disk. */
  content: string
  executable: boolean
}

/** One command of a member's procedure, for "copy each command". */
export interface PlanStep {
  step: number
  key: 'stop' | 'aside' | 'restore' | 'own' | 'start' | 'check' | 'apiserver'
  title: string
  why: string
  titleMsg?: Msg
  whyMsg?: Msg
  commands: string[]
}

export interface RenderedPlan {
  plan: RestorePlan
  /** restore-<name>.sh per member, README.md, plan.json. */
  files: PlanFile[]
  steps: Record<string, PlanStep[]>
  /** What each member's service definition must keep or change. */
  service: Record<string, string[]>
  /** service as catalog messages, in the same order. */
  serviceMsg?: Record<string, Msg[]>
  /** Where the plan folder was written on this machine. */
  dir: string
}

// ---- Verification ------------------------------------------------------------------------------

export type CheckId = 'reachable' | 'one-leader' | 'cluster-id' | 'member-ids' | 'member-list' | 'revision' | 'key-count' | 'hashkv' | 'alarms'
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip'

export interface CheckResult {
  id: CheckId
  title: string
  status: CheckStatus
  summary: string
  cause?: string
  fix?: string
  details?: string[]
  /** The same texts as catalog messages. */
  msgs?: { title?: Msg; summary?: Msg; cause?: Msg; fix?: Msg; details?: Msg[] }
}

export interface EndpointFacts {
  endpoint: string
  /** The plan member this endpoint belongs to (by client URL), when verifying a plan. */
  member?: string
  ok: boolean
  error?: string
  memberId?: string
  clusterId?: string
  leader?: string
  term?: string
  revision?: string
  version?: string
  /** Member IDs (decimal) of this endpoint's member list. */
  memberList?: { id: string; name: string; peerURLs: string[]; clientURLs: string[] }[]
}

export interface VerifyReport {
  ok: boolean
  time: number
  checks: CheckResult[]
  endpoints: EndpointFacts[]
  /** The plan the checks compared against, if any. */
  planId: string | null
}

// ---- Rehearsal ---------------------------------------------------------------------------------

export interface RehearsalStep {
  title: string
  titleMsg?: Msg
  /** The command as run (argv joined for display). */
  command: string
  ok: boolean
  ms: number
  output: string
}

export interface RehearsalResult {
  planId: string
  procedure: 'plan' | 'naive'
  engine: 'etcd' | 'raftdeck'
  playgroundId: string
  playgroundName: string
  steps: RehearsalStep[]
  report: VerifyReport
  /** The rehearsal's own member IDs and cluster ID (its URLs are loopback, so they differ from production's), hex. */
  ids: { clusterId: string; members: { name: string; id: string; peerURL: string; clientURL: string }[] }
  notes: string[]
  notesMsg?: Msg[]
  elapsedMs: number
}

// ---- Lint --------------------------------------------------------------------------------------

export type LintRule =
  | 'restore-copied'
  | 'missing-flag'
  | 'duplicate-name'
  | 'same-identity'
  | 'reused-token'
  | 'token-mismatch'
  | 'target-not-empty'
  | 'deletes-old-data'
  | 'no-bump'
  | 'bump-flags'
  | 'skip-hash-check'
  | 'removed-command'
  | 'advertise-not-in-cluster'
  | 'no-restore'

export interface LintFinding {
  rule: LintRule
  severity: 'error' | 'warning'
  /** 1-based line of the text where the problem is. */
  line: number
  excerpt: string
  message: string
  fix: string
  messageMsg?: Msg
  fixMsg?: Msg
}

export interface LintReport {
  restores: number
  /** What the linter understood the text to be. */
  kind: 'shell' | 'ansible'
  kubernetes: boolean
  findings: LintFinding[]
}

// ---- Parameters --------------------------------------------------------------------------------

const filePath = s.string({ min: 1, max: 4096 })
/** etcd member names Raftdeck plans with: what kubeadm and hostnames use. */
export const MEMBER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/
const url = s.string({ min: 1, max: 500 })
const runMode = s.object({ kind: s.enum(['systemd', 'kubeadm'] as const), unit: s.optional(s.string({ min: 1, max: 300 })), manifest: s.optional(s.string({ min: 1, max: 1000 })) })
const memberInput = s.object({
  name: s.string({ min: 1, max: 63 }),
  peerURLs: s.array(url, { max: 8 }),
  clientURLs: s.array(url, { max: 8 }),
  dataDir: s.string({ min: 1, max: 1000 }),
  etcdVersion: s.string({ min: 1, max: 20 }),
  run: runMode,
})
const planId = s.string({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/ })

export const restoreMethods = {
  /** Status and verification of any snapshot file on this machine (nothing is written). */
  'restore/inspect': method<SnapshotReport>()(s.object({ path: filePath })),
  /** Members, versions and state of the cluster behind a saved connection. */
  'restore/discover': method<TargetDiscovery>()(s.object({ connectionId: id })),
  /** What restoring the snapshot would undo on the live cluster, compared at one pinned revision. */
  'restore/impact': method<ImpactPreview>()(s.object({ path: filePath, target })),
  /** Computes the plan, writes its folder (scripts, README, plan.json, bumped snapshot if needed) and returns it. */
  'restore/plan': method<RenderedPlan>()(
    s.object({
      snapshotPath: filePath,
      members: s.array(memberInput, { max: 15 }),
      token: s.optional(s.string({ min: 1, max: 200 })),
      /** 0 turns the bump off; absent: Raftdeck's default (on for Kubernetes). */
      bumpRevision: s.optional(s.number({ int: true, min: 0, max: 1e15 })),
      kubernetes: s.optional(s.boolean()),
      liveRevision: s.optional(s.string({ min: 1, max: 20, pattern: /^\d+$/ })),
    }),
  ),
  /** A plan written earlier, by id. */
  'restore/getPlan': method<RenderedPlan>()(s.object({ planId })),
  /** Runs the plan (or the naive one-restore-copied procedure) on a new playground here, then the checks. */
  'restore/rehearse': method<RehearsalResult>()(s.object({ planId, engine: s.enum(['etcd', 'raftdeck'] as const), procedure: s.enum(['plan', 'naive'] as const) })),
  /** The checks after a restore, against a connection or playground, with the plan's expectations. */
  'restore/verify': method<VerifyReport>()(s.object({ planId, target })),
  /** Names the problems of a pasted restore procedure (shell script or Ansible tasks). */
  'restore/lint': method<LintReport>()(s.object({ text: s.string({ max: 500_000 }), kubernetes: s.optional(s.boolean()), etcdVersion: s.optional(s.string({ min: 1, max: 20 })) })),
  /** Opens a snapshot file as a read-only target of the key editor. */
  'restore/openSnapshot': method<OpenSnapshot>()(s.object({ path: filePath })),
  'restore/closeSnapshot': method<null>()(s.object({ id })),
  'restore/openSnapshots': method<OpenSnapshot[]>()(s.object({})),
} as const
