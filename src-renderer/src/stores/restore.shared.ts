// The restore wizard's state machine and its pure helpers (tested under Node): which step may be
// opened given what is known, why not, and the member rows of the target form.

import type { PlanMemberInput, RunMode, SnapshotReport, TargetDiscovery } from '@shared/api/restore'
import { DEFAULT_DATA_DIR, memberProblemMsgs } from '@shared/api/restoreRules'
import type { Msg } from '@shared/i18n/message'

export const STEPS = ['target', 'snapshot', 'impact', 'plan', 'rehearse', 'verify'] as const
export type WizardStep = (typeof STEPS)[number]

/** The UI key of each step's title (restore.steps.*). */
export const STEP_TITLES: Record<WizardStep, string> = {
  target: 'restore.steps.target',
  snapshot: 'restore.steps.snapshot',
  impact: 'restore.steps.impact',
  plan: 'restore.steps.plan',
  rehearse: 'restore.steps.rehearse',
  verify: 'restore.steps.verify',
}

/** What the wizard knows; every transition is decided from this alone. */
export interface WizardFacts {
  /** Member rows without a problem (and at least one). */
  targetValid: boolean
  /** The snapshot was checked and verify accepted it. */
  snapshotOk: boolean
  /** The snapshot was checked and verify refused it (the wizard stops at step 2). */
  snapshotBroken: boolean
  /** A saved connection that answered: the impact preview can run. */
  liveReachable: boolean
  /** A plan was made from the current target and snapshot. */
  planMade: boolean
}

/** Why a step cannot be opened yet, as a UI key (restore.blocked.*); null: it can. */
export function blockedReason(step: WizardStep, f: WizardFacts): string | null {
  switch (step) {
    case 'target':
    case 'snapshot':
      // A snapshot can be chosen and checked before the target is complete (the Backups area links here with one).
      return null
    case 'impact':
      if (!f.targetValid) return 'restore.blocked.target'
      if (f.snapshotBroken) return 'restore.blocked.snapshotBroken'
      if (!f.snapshotOk) return 'restore.blocked.snapshot'
      return null
    case 'plan':
      return blockedReason('impact', f)
    case 'rehearse':
    case 'verify':
      return blockedReason('plan', f) ?? (f.planMade ? null : 'restore.blocked.plan')
  }
}

export function canOpen(step: WizardStep, f: WizardFacts): boolean {
  return blockedReason(step, f) === null
}

/** The step after `step` that can be opened, skipping the impact preview when the live cluster cannot be reached. */
export function nextStep(step: WizardStep, f: WizardFacts): WizardStep | null {
  let i = STEPS.indexOf(step) + 1
  while (i < STEPS.length) {
    const s = STEPS[i]!
    if (s === 'impact' && !f.liveReachable && canOpen('plan', f)) {
      i++
      continue
    }
    return canOpen(s, f) ? s : null
  }
  return null
}

/** Where the wizard lands when the facts change under it (a new snapshot, an edited member): never past what is allowed. */
export function clampStep(step: WizardStep, f: WizardFacts): WizardStep {
  let i = STEPS.indexOf(step)
  while (i > 0 && !canOpen(STEPS[i]!, f)) i--
  return STEPS[i]!
}

export interface MemberRow {
  name: string
  peerURL: string
  clientURL: string
  dataDir: string
  etcdVersion: string
  runKind: RunMode['kind']
  unit: string
  manifest: string
}

export function emptyRow(i: number): MemberRow {
  return { name: `etcd-${i + 1}`, peerURL: '', clientURL: '', dataDir: DEFAULT_DATA_DIR, etcdVersion: '3.5', runKind: 'systemd', unit: 'etcd', manifest: '/etc/kubernetes/manifests/etcd.yaml' }
}

export function rowsFromDiscovery(d: TargetDiscovery): MemberRow[] {
  return d.members.map((m, i) => ({
    ...emptyRow(i),
    name: m.name,
    peerURL: m.peerURLs[0] ?? '',
    clientURL: m.clientURLs[0] ?? '',
    dataDir: m.dataDir,
    etcdVersion: m.etcdVersion,
  }))
}

export function toInput(r: MemberRow): PlanMemberInput {
  return {
    name: r.name.trim(),
    peerURLs: r.peerURL.trim() ? [r.peerURL.trim()] : [],
    clientURLs: r.clientURL.trim() ? [r.clientURL.trim()] : [],
    dataDir: r.dataDir.trim(),
    etcdVersion: r.etcdVersion.trim(),
    run: r.runKind === 'systemd' ? { kind: 'systemd', unit: r.unit.trim() } : { kind: 'kubeadm', manifest: r.manifest.trim() },
  }
}

/** Problems per row and field ("0.peerURL") plus problems of the whole list ("members"), as the rules' messages. */
export function rowProblems(rows: MemberRow[]): Record<string, Msg> {
  const raw = memberProblemMsgs(rows.map(toInput))
  const out: Record<string, Msg> = {}
  for (const [k, v] of Object.entries(raw)) {
    const m = /^members\[(\d+)\]\.(\w+)/.exec(k)
    if (!m) {
      out.members = v
      continue
    }
    const field = { name: 'name', peerURLs: 'peerURL', clientURLs: 'clientURL', dataDir: 'dataDir', etcdVersion: 'etcdVersion', run: 'run' }[m[2]!] ?? m[2]!
    out[`${m[1]}.${field}`] ??= v
  }
  return out
}

export function factsOf(o: { rows: MemberRow[]; inspection: SnapshotReport | null; liveReachable: boolean; planMade: boolean }): WizardFacts {
  return {
    targetValid: o.rows.length > 0 && Object.keys(rowProblems(o.rows)).length === 0,
    snapshotOk: Boolean(o.inspection && !o.inspection.problem && o.inspection.status),
    snapshotBroken: Boolean(o.inspection?.problem),
    liveReachable: o.liveReachable,
    planMade: o.planMade,
  }
}

/** A ustar archive of text files (the plan folder as one download), built in the browser. */
export function tarArchive(folder: string, files: { name: string; content: string; executable: boolean }[], mtime = Math.floor(Date.now() / 1000)): Uint8Array {
  const enc = new TextEncoder()
  const blocks: Uint8Array[] = []
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0'
  const put = (buf: Uint8Array, at: number, s: string) => buf.set(enc.encode(s), at)
  for (const f of files) {
    const body = enc.encode(f.content)
    const h = new Uint8Array(512)
    const name = `${folder}/${f.name}`
    if (enc.encode(name).length > 99) throw new Error(`name too long for tar: ${name}`)
    put(h, 0, name)
    put(h, 100, octal(f.executable ? 0o755 : 0o644, 8))
    put(h, 108, octal(0, 8))
    put(h, 116, octal(0, 8))
    put(h, 124, octal(body.length, 12))
    put(h, 136, octal(mtime, 12))
    put(h, 148, '        ')
    put(h, 156, '0')
    put(h, 257, 'ustar\u000000')
    let sum = 0
    for (const b of h) sum += b
    put(h, 148, octal(sum, 7) + ' ')
    blocks.push(h)
    const padded = new Uint8Array(Math.ceil(body.length / 512) * 512)
    padded.set(body)
    blocks.push(padded)
  }
  blocks.push(new Uint8Array(1024))
  const total = blocks.reduce((n, b) => n + b.length, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const b of blocks) {
    out.set(b, at)
    at += b.length
  }
  return out
}
