/**
 * What only the leader does on a timer: revoke expired leases (the leader's lease clock decides,
 * the revoke is replicated) and auto-compaction (--auto-compaction-mode/--auto-compaction-retention).
 */
import { parseRetention } from '../config'
import type { EtcdServer } from './etcdServer'

export class LeaderDuties {
  private leaseTimer: NodeJS.Timeout | undefined
  private compactTimer: NodeJS.Timeout | undefined
  private readonly revoking = new Set<string>()

  constructor(private readonly server: EtcdServer) {}

  start(): void {
    this.leaseTimer = setInterval(() => this.revokeExpiredLeases(), 500)
    this.startAutoCompaction()
  }

  stop(): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer)
    if (this.compactTimer) clearInterval(this.compactTimer)
  }

  private revokeExpiredLeases(): void {
    const s = this.server
    if (!s.isLeader()) return
    for (const id of s.sm.lessor.expired()) {
      if (this.revoking.has(id)) continue
      this.revoking.add(id)
      s.propose({ lease_revoke: { ID: id } })
        .catch(() => {})
        .finally(() => this.revoking.delete(id))
    }
  }

  private startAutoCompaction(): void {
    const s = this.server
    const retention = parseRetention(s.cfg)
    if (retention <= 0) return
    if (s.cfg.autoCompactionMode === 'revision') {
      // etcd's revision compactor: every 5 minutes, keep the last `retention` revisions.
      this.compactTimer = setInterval(() => {
        const target = s.sm.store.currentRev - retention
        if (s.isLeader() && target > s.sm.store.compactRev) this.compact(target)
      }, 5 * 60_000)
    } else {
      // Periodic, as etcd's compactor: sample the revision every min(retention, 1 h)/10, and every
      // min(retention, 1 h) compact to the revision sampled one retention period ago.
      const compactEvery = Math.min(retention, 3600_000)
      const sampleEvery = Math.max(compactEvery / 10, 100)
      const samples: Array<{ at: number; rev: number }> = []
      let lastCompact = Date.now()
      let lastRev = 0
      this.compactTimer = setInterval(() => {
        const now = Date.now()
        samples.push({ at: now, rev: s.sm.store.currentRev })
        while (samples.length > 1 && now - samples[1]!.at >= retention) samples.shift()
        const old = samples[0]!
        if (now - old.at < retention || now - lastCompact < compactEvery || old.rev === lastRev) return
        if (!s.isLeader() || old.rev <= s.sm.store.compactRev) return
        lastCompact = now
        lastRev = old.rev
        this.compact(old.rev)
      }, sampleEvery)
    }
    this.compactTimer.unref()
  }

  private compact(rev: number): void {
    this.server.propose({ compaction: { revision: String(rev), physical: false } }).then(
      () => this.server.log(`finished scheduled compaction at ${rev}`),
      (err: Error) => this.server.log(`scheduled compaction at ${rev} failed: ${err.message}`),
    )
  }
}
