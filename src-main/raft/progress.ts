// The leader's view of one peer: how much of the log it has (match), what to
// send next (next), and how aggressively to send it (state).

import { Inflights } from './inflights'

/**
 * probe: we do not know where the follower's log ends; send one MsgApp per
 *   heartbeat interval and wait for its answer.
 * replicate: the follower is in sync; stream optimistically within the window.
 * snapshot: the follower needs a snapshot; send nothing until it is applied.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

export class Progress {
  match = 0
  next: number
  state: ProgressState = 'probe'
  /** Index of the snapshot in flight while in snapshot state. */
  pendingSnapshot = 0
  /** Heard from since the last CheckQuorum round. */
  recentActive = false
  /** Probe state: a MsgApp was sent and we wait for a reply or a heartbeat response. */
  probeSent = false
  /** The commit index carried by the last MsgApp sent to this peer. */
  sentCommit = 0
  isLearner: boolean
  readonly inflights: Inflights

  constructor(next: number, isLearner: boolean, maxInflight: number, maxInflightBytes: number) {
    this.next = next
    this.isLearner = isLearner
    this.inflights = new Inflights(maxInflight, maxInflightBytes)
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false
    this.pendingSnapshot = 0
    this.state = state
    this.inflights.reset()
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // The snapshot may have been applied even if we heard nothing; resume
      // right after whichever is further.
      const pending = this.pendingSnapshot
      this.resetState('probe')
      this.next = Math.max(this.match + 1, pending + 1)
    } else {
      this.resetState('probe')
      this.next = this.match + 1
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate')
    this.next = this.match + 1
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot')
    this.pendingSnapshot = snapshotIndex
  }

  /** An acknowledgement up to n. Returns whether match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false
    if (this.match < n) {
      this.match = n
      updated = true
      this.probeSent = false
    }
    this.next = Math.max(this.next, n + 1)
    return updated
  }

  /**
   * A rejection of the MsgApp at `rejected`, with the follower's hint. Returns
   * false for stale rejections (already superseded), which must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false
      this.next = this.match + 1
      return true
    }
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1)
    this.probeSent = false
    return true
  }

  /** Called after a MsgApp carrying `entries` entries (`bytes` payload) was sent. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next += entries
        this.inflights.add(this.next - 1, bytes)
      }
    } else if (this.state === 'probe') {
      this.probeSent = true
    }
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.full()
      case 'snapshot':
        return true
    }
  }
}
