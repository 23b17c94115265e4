/**
 * What only the leader does: give every lease a fresh clock when it takes over, record the cluster
 * version, revoke expired leases (the leader's lease clock decides, the revoke is replicated) and
 * auto-compaction (--auto-compaction-mode/--auto-compaction-retention).
 */
import type { Lessor } from '../lease/lessor'
import type { MvccStore } from '../mvcc/store'
import type { ProposalBody } from './proposer'
import { CLUSTER_VERSION } from './version'

/** The few things the duties use of their member. */
export interface LeaderDutiesHost {
  readonly state: { readonly lessor: Lessor; readonly store: Pick<MvccStore, 'currentRev' | 'compactRev'>; readonly clusterVersion: string }
  propose(body: ProposalBody): Promise<unknown>
  log(line: string): void
}

export interface LeaderDutiesConfig {
  /** Extra grace a new leader gives every lease (one election timeout, as etcd). */
  electionMs: number
  autoCompactionMode: 'periodic' | 'revision'
  /** Retention in revisions (revision mode) or milliseconds (periodic mode); 0 = off. */
  retention: number
}

export class LeaderDuties {
  private leaseTimer: NodeJS.Timeout | undefined
  private compactTimer: NodeJS.Timeout | undefined
  private readonly revoking = new Set<string>()
  private leading = false

  constructor(
    private readonly host: LeaderDutiesHost,
    private readonly cfg: LeaderDutiesConfig,
  ) {}

  start(): void {
    this.leaseTimer = setInterval(() => this.revokeExpiredLeases(), 500)
    this.startAutoCompaction()
  }

  stop(): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer)
    if (this.compactTimer) clearInterval(this.compactTimer)
  }

  /** This member became leader, or stopped being it. */
  onLeadership(leading: boolean): void {
    if (leading === this.leading) return
    this.leading = leading
    const { lessor, clusterVersion } = this.host.state
    if (leading) {
      // Like etcd: a new leader gives every lease a fresh TTL, plus one election timeout of grace.
      lessor.promote(this.cfg.electionMs)
      if (!clusterVersion) this.host.propose({ cluster_version: { ver: CLUSTER_VERSION } }).catch(() => {})
    } else {
      lessor.demote()
    }
  }

  private revokeExpiredLeases(): void {
    if (!this.leading) return
    for (const id of this.host.state.lessor.expired()) {
      if (this.revoking.has(id)) continue
      this.revoking.add(id)
      this.host
        .propose({ lease_revoke: { ID: id } })
        .catch(() => {})
        .finally(() => this.revoking.delete(id))
    }
  }

  private startAutoCompaction(): void {
    const retention = this.cfg.retention
    if (retention <= 0) return
    const store = () => this.host.state.store
    if (this.cfg.autoCompactionMode === 'revision') {
      // etcd's revision compactor: every 5 minutes, keep the last `retention` revisions.
      this.compactTimer = setInterval(() => {
        const target = store().currentRev - retention
        if (this.leading && target > store().compactRev) this.compact(target)
      }, 5 * 60_000)
    } else {
      // Periodic, as etcd's compactor: sample the revision every min(retention, 1 h)/10, and every
      // min(retention, 1 h) compact to the revision sampled one retention period ago.
      const compactEvery = Math.min(retention, 3600_000)
      const sampleEvery = Math.max(compactEvery / 10, 100)
      const samples: Array<{ at: number; rev: number }> = []
      let lastCompact = performance.now()
      let lastRev = 0
      this.compactTimer = setInterval(() => {
        // Monotonic: a wall-clock step neither triggers nor delays a compaction.
        const now = performance.now()
        samples.push({ at: now, rev: store().currentRev })
        while (samples.length > 1 && now - samples[1]!.at >= retention) samples.shift()
        const old = samples[0]!
        if (now - old.at < retention || now - lastCompact < compactEvery || old.rev === lastRev) return
        if (!this.leading || old.rev <= store().compactRev) return
        lastCompact = now
        lastRev = old.rev
        this.compact(old.rev)
      }, sampleEvery)
    }
    this.compactTimer.unref()
  }

  private compact(rev: number): void {
    this.host.propose({ compaction: { revision: String(rev), physical: false } }).then(
      () => this.host.log(`finished scheduled compaction at ${rev}`),
      (err: Error) => this.host.log(`scheduled compaction at ${rev} failed: ${err.message}`),
    )
  }
}
