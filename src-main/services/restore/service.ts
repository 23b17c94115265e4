// The guided restore of a cluster: inspect the snapshot, discover the target, preview the impact,
// make the plan (a folder under <data dir>/restore/plans), rehearse it here, verify the result, lint a
// procedure, and serve snapshot files read-only to the key editor.

import { rename, stat } from 'node:fs/promises'
import path from 'node:path'
import { BboltError, verifySnapshot } from '../../bbolt'
import { AppError, ErrorCode, msg, type Target } from '../../shared'
import type { OpenSnapshot, PlanMemberInput, RehearsalResult, RenderedPlan, SnapshotReport, TargetDiscovery, VerifyReport, ImpactPreview, LintReport } from '../../shared/api/restore'
import { DEFAULT_DATA_DIR } from '../../shared/api/restoreRules'
import { diagnoseSplit, gatherFacts, RESTORE_SETTLE_MS, verifyCluster } from '../cluster/checks'
import type { Logger } from '../log'
import type { PlaygroundService } from '../playground/service'
import type { KvReader, TargetProvider, TargetResolver } from '../targets'
import { previewImpact, groupOf } from './impact'
import { lintProcedure } from './lint'
import { makePlanFolder, readPlanFolder, recordInPlan, sha256File } from './planStore'
import { expectationsOf, rehearse } from './rehearsal'
import { SnapshotIndex } from './snapshotIndex'
import { SnapshotSource } from './snapshotSource'

/** Indexes kept without an open snapshot using them (each holds a file open and ~100 B per key). */
const SPARE_INDEXES = 2

interface CachedIndex {
  key: string
  index: Promise<SnapshotIndex>
  users: number
  lastUsed: number
}

export interface RestoreServiceOptions {
  dataDir: string
  targets: TargetResolver
  playgrounds: PlaygroundService
  etcdctl: string | null
  log: Logger
}

export class RestoreService {
  private readonly indexes = new Map<string, CachedIndex>()
  private readonly open = new Map<string, { info: OpenSnapshot; cached: CachedIndex; source: SnapshotSource }>()
  /** Verify reads the whole file: its result is kept per (path, size, mtime). */
  private readonly reports = new Map<string, { key: string; report: SnapshotReport }>()
  readonly plansDir: string

  constructor(private readonly o: RestoreServiceOptions) {
    this.plansDir = path.join(o.dataDir, 'restore', 'plans')
  }

  // ---- snapshots --------------------------------------------------------------------------------

  private async indexFor(file: string, hold = false): Promise<{ cached: CachedIndex; index: SnapshotIndex }> {
    const st = await stat(file)
    const key = `${file}|${st.size}|${st.mtimeMs}`
    let cached = this.indexes.get(file)
    if (cached && cached.key !== key && cached.users === 0) {
      void cached.index.then((i) => i.close(), () => {})
      this.indexes.delete(file)
      cached = undefined
    }
    if (!cached || cached.key !== key) {
      cached = { key, index: SnapshotIndex.build(file), users: 0, lastUsed: Date.now() }
      this.indexes.set(file, cached)
      cached.index.catch(() => this.indexes.delete(file))
    }
    cached.lastUsed = Date.now()
    if (hold) cached.users++
    const index = await cached.index
    this.evict()
    return { cached, index }
  }

  private evict() {
    const spare = [...this.indexes.entries()].filter(([, c]) => c.users === 0).sort((a, b) => b[1].lastUsed - a[1].lastUsed)
    for (const [file, c] of spare.slice(SPARE_INDEXES)) {
      this.indexes.delete(file)
      void c.index.then((i) => i.close(), () => {})
    }
  }

  async inspect(file: string): Promise<SnapshotReport> {
    const abs = path.resolve(file)
    let st
    try {
      st = await stat(abs)
    } catch {
      return { ...empty(abs), problem: { code: 'NOT_FOUND', message: `No file at ${abs}.`, hint: 'Give the full path of a snapshot file on this machine.' } }
    }
    if (!st.isFile()) return { ...empty(abs), problem: { code: 'NOT_A_FILE', message: `${abs} is not a file.`, hint: 'Give the path of a snapshot file (from etcdctl snapshot save or the Backups area).' } }
    const key = `${st.size}|${st.mtimeMs}`
    const known = this.reports.get(abs)
    if (known?.key === key) return known.report
    const report = await this.check(abs, st)
    this.reports.set(abs, { key, report })
    if (this.reports.size > 32) this.reports.delete(this.reports.keys().next().value!)
    return report
  }

  private async check(abs: string, st: { size: number; mtimeMs: number }): Promise<SnapshotReport> {
    let v
    try {
      v = verifySnapshot(abs)
    } catch (err) {
      const problem = err instanceof BboltError ? { code: err.code, message: err.message, hint: err.hint } : { code: 'UNREADABLE', message: err instanceof Error ? err.message : String(err), hint: 'Check that this user can read the file.' }
      return { ...empty(abs), bytes: st.size, modifiedAt: st.mtimeMs, problem }
    }
    const { index } = await this.indexFor(abs)
    const prefixes = new Map<string, number>()
    for (let i = 0; i < index.keys.length; i++) {
      if (!index.visibleAt(i, index.headRevision)) continue
      const g = groupOf(index.keys[i]!)
      prefixes.set(g, (prefixes.get(g) ?? 0) + 1)
    }
    return {
      path: abs,
      bytes: st.size,
      modifiedAt: st.mtimeMs,
      status: { hash: v.status.hash, revision: Number(v.status.revision), totalKey: v.status.totalKey, totalSize: v.status.totalSize },
      problem: null,
      sha256: v.sha256,
      liveKeys: index.liveKeys,
      revisions: index.revisionCount,
      compactRevision: index.compactRevision,
      kubernetes: [...prefixes.keys()].some((p) => p.startsWith('/registry/')),
      prefixes: [...prefixes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([prefix, keys]) => ({ prefix, keys })),
    }
  }

  /** Inspects and refuses a broken file with its specific problem. */
  private async requireGood(file: string): Promise<SnapshotReport> {
    const r = await this.inspect(file)
    if (r.problem) throw new AppError(ErrorCode.InvalidParams, msg('restore.errors.snapshotUnusable', { problem: r.problem.message }), r.problem.hint, { snapshot: r.problem.code })
    return r
  }

  async openSnapshot(file: string): Promise<OpenSnapshot> {
    const r = await this.requireGood(file)
    const existing = [...this.open.values()].find((o) => o.info.path === r.path)
    if (existing) return existing.info
    const { cached, index } = await this.indexFor(r.path, true)
    const id = `snap-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const info: OpenSnapshot = { id, path: r.path, name: path.basename(r.path), revision: index.headRevision, liveKeys: index.liveKeys }
    this.open.set(id, { info, cached, source: new SnapshotSource(index) })
    this.o.log.info(`opened the snapshot ${r.path} read-only (${index.liveKeys} keys at revision ${index.headRevision})`)
    return info
  }

  closeSnapshot(id: string): void {
    const o = this.open.get(id)
    if (!o) return
    this.open.delete(id)
    o.cached.users--
    this.evict()
  }

  openSnapshots(): OpenSnapshot[] {
    return [...this.open.values()].map((o) => o.info)
  }

  /** The 'snapshot' kind of target: read-only, keys only. */
  targetProvider(): TargetProvider {
    const get = (id: string) => {
      const o = this.open.get(id)
      if (!o) throw new AppError(ErrorCode.NotFound, msg('restore.errors.notOpen'), msg('restore.errors.notOpenHint'))
      return o
    }
    return {
      client: async () => {
        throw new AppError(ErrorCode.FailedPrecondition, msg('restore.errors.notRunning'), msg('restore.errors.notRunningHint'))
      },
      policy: async (id) => ({ name: get(id).info.name, endpoints: [], readOnly: true, production: false }),
      reader: async (id): Promise<KvReader> => get(id).source,
    }
  }

  // ---- target and impact ------------------------------------------------------------------------

  async discover(connectionId: string): Promise<TargetDiscovery> {
    const target: Target = { kind: 'connection', id: connectionId }
    const client = await this.o.targets.client(target)
    const policy = await this.o.targets.policy(target)
    const facts = await gatherFacts(client, policy.endpoints)
    const up = facts.filter((f) => f.ok)
    const list = up.find((f) => f.memberList?.length)?.memberList ?? []
    const versionOf = new Map(up.map((f) => [f.memberId!, f.version!]))
    const anyVersion = up[0]?.version ?? '3.5'
    const family = (v: string) => /^3\.[456]\.\d+/.test(v) ? v.replace(/[-+].*$/, '') : v
    const members = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((m) => {
      const fact = up.find((f) => f.memberId === m.id)
      const host = (() => {
        try {
          return new URL(m.peerURLs[0] ?? '').hostname
        } catch {
          return ''
        }
      })()
      return {
        name: m.name || host.replace(/[^a-zA-Z0-9_.-]/g, '-') || `member-${BigInt(m.id).toString(16).slice(0, 6)}`,
        id: m.id,
        peerURLs: m.peerURLs,
        clientURLs: m.clientURLs,
        dataDir: DEFAULT_DATA_DIR,
        etcdVersion: family(versionOf.get(m.id) ?? anyVersion),
        run: { kind: 'systemd' as const, unit: 'etcd' },
        reachable: Boolean(fact),
        ...(fact ? {} : { error: facts.find((f) => m.clientURLs.includes(f.endpoint))?.error ?? 'no endpoint of the connection is this member' }),
      }
    })
    return {
      connectionId,
      name: policy.name,
      members,
      clusterId: up[0]?.clusterId ?? null,
      revision: up.length ? up.map((f) => BigInt(f.revision!)).reduce((a, b) => (b > a ? b : a)).toString() : null,
      unreachable: facts.filter((f) => !f.ok).map((f) => ({ endpoint: f.endpoint, error: f.error ?? 'no answer' })),
      split: diagnoseSplit(facts),
    }
  }

  async impact(file: string, target: Target): Promise<ImpactPreview> {
    const r = await this.requireGood(file)
    const { index } = await this.indexFor(r.path)
    const live = await this.o.targets.reader(target)
    return previewImpact(index, live)
  }

  // ---- plans ------------------------------------------------------------------------------------

  private planDir(id: string): string {
    if (!/^[a-z0-9-]+$/.test(id)) throw new AppError(ErrorCode.InvalidParams, msg('restore.errors.badPlanId', { id }))
    return path.join(this.plansDir, id)
  }

  async plan(p: { snapshotPath: string; members: PlanMemberInput[]; token?: string; bumpRevision?: number; kubernetes?: boolean; liveRevision?: string }): Promise<RenderedPlan> {
    const r = await this.requireGood(p.snapshotPath)
    const facts = {
      path: r.path,
      fileName: path.basename(r.path),
      sha256: await sha256File(r.path),
      bytes: r.bytes,
      revision: r.status!.revision,
      totalKey: r.status!.totalKey,
      liveKeys: r.liveKeys!,
      kubernetes: r.kubernetes,
    }
    const opts = {
      ...(p.token ? { token: p.token } : {}),
      ...(p.bumpRevision !== undefined ? { bumpRevision: p.bumpRevision } : {}),
      ...(p.kubernetes !== undefined ? { kubernetes: p.kubernetes } : {}),
      ...(p.liveRevision ? { liveRevision: Number(p.liveRevision) } : {}),
    }
    // The folder is named after the plan id, which is known once the plan is built.
    const staging = path.join(this.plansDir, `.new-${process.pid}-${Date.now()}`)
    const rendered = await makePlanFolder(staging, facts, p.members, opts)
    const dir = this.planDir(rendered.plan.id)
    await rename(staging, dir)
    this.o.log.info(`made restore plan ${rendered.plan.id} for ${rendered.plan.members.length} members from ${r.path} (cluster ${rendered.plan.clusterId})`)
    return { ...rendered, dir }
  }

  getPlan(id: string): Promise<RenderedPlan> {
    return readPlanFolder(this.planDir(id))
  }

  async rehearse(id: string, engine: 'etcd' | 'raftdeck', procedure: 'plan' | 'naive'): Promise<RehearsalResult> {
    const { plan, dir } = await this.getPlan(id)
    const result = await rehearse(plan, dir, engine, procedure, { playgrounds: this.o.playgrounds, etcdctl: this.o.etcdctl, log: this.o.log })
    await recordInPlan(dir, `rehearsal-${procedure}-${engine}`, result)
    return result
  }

  async verify(id: string, target: Target): Promise<VerifyReport> {
    const { plan, dir } = await this.getPlan(id)
    const client = await this.o.targets.client(target)
    const report = await verifyCluster(client, plan.members.flatMap((m) => m.clientURLs.slice(0, 1)), expectationsOf(plan), RESTORE_SETTLE_MS)
    await recordInPlan(dir, 'verify', report)
    return report
  }

  lint(text: string, opts: { kubernetes?: boolean; etcdVersion?: string }): LintReport {
    return lintProcedure(text, opts)
  }

  dispose(): void {
    for (const c of this.indexes.values()) void c.index.then((i) => i.close(), () => {})
    this.indexes.clear()
    this.open.clear()
  }
}

function empty(p: string): SnapshotReport {
  return { path: p, bytes: 0, modifiedAt: 0, status: null, problem: null, sha256: null, liveKeys: null, revisions: null, compactRevision: null, kubernetes: false, prefixes: [] }
}
