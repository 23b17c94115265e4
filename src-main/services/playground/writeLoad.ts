// The playground's built-in write load, so indexes move and elections happen under traffic. Puts go
// through the app's etcd client; failures (no leader, a member down) are counted, not thrown.

import { randomBytes } from 'node:crypto'
import type { EtcdClient } from '../etcd/client'

export class WriteLoad {
  private timer: ReturnType<typeof setInterval> | null = null
  private carry = 0
  private seq = 0
  private inflight = 0
  ok = 0
  failed = 0

  constructor(
    private readonly client: EtcdClient,
    public rate: number,
    /** Requests go round-robin to every member, so a dead or cut-off member does not stall the load. */
    private readonly endpoints: string[],
  ) {}

  start(): void {
    if (this.timer) return
    const tickMs = 100
    this.timer = setInterval(() => {
      this.carry += (this.rate * tickMs) / 1000
      const n = Math.floor(this.carry)
      this.carry -= n
      // Never pile up more than a second's worth of requests behind a cluster without a leader.
      for (let i = 0; i < n && this.inflight < Math.max(8, this.rate); i++) this.one()
    }, tickMs)
  }

  private one(): void {
    this.inflight++
    const key = Buffer.from(`/raftdeck-load/${String(this.seq++ % 1000).padStart(4, '0')}`)
    this.client
      .put({ key, value: randomBytes(48) }, { timeoutMs: 3000, endpoint: this.endpoints[this.seq % this.endpoints.length]! })
      .then(
        () => void this.ok++,
        () => void this.failed++,
      )
      .finally(() => void this.inflight--)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}
