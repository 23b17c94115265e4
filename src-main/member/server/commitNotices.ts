/**
 * Holds a leader's commit-only appends for a moment, so the next append carries them.
 *
 * When a leader's commit index moves and a follower already has every entry, Raft sends that
 * follower an append with no entries just to tell it the new index, and the follower answers it.
 * Under a steady light load (one client writing in a loop) that doubles the peer traffic of every
 * write: the entry and its answer, then the commit index and its answer, four socket writes at the
 * leader and two Readies at each follower. Those notices also went out before the leader applied
 * the entry and answered its client.
 *
 * Instead, a commit-only append waits here up to `holdMs`. Any append sent to that follower in the
 * meantime (same term) carries a commit index at least as new, so the held one is dropped; if none
 * comes, it goes out when the time is up. Nothing but the followers' view of the commit index waits:
 * the leader commits, applies and answers as before, followers apply at most `holdMs` later, and a
 * heartbeat would tell them within a heartbeat interval anyway. Any other message to the follower
 * (a heartbeat, a snapshot, a leader-transfer order) first sends the held notice, so each peer still
 * receives its messages in the order Raft produced them.
 */
import { MessageType, type Message, type NodeId } from '../../raft/index'

/** How long a commit-only append waits for a later append to carry it (ms). */
export const COMMIT_NOTICE_HOLD_MS = 2

function commitOnly(m: Message): boolean {
  return m.type === MessageType.App && m.entries.length === 0
}

export class CommitNotices {
  private readonly held = new Map<NodeId, Message>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly send: (messages: Message[]) => void,
    private readonly holdMs = COMMIT_NOTICE_HOLD_MS,
  ) {}

  /**
   * The messages to send now, in order: `messages` less the commit-only appends now held, with any
   * held notice a message does not make redundant put back in front of it.
   */
  route(messages: readonly Message[]): Message[] {
    const out: Message[] = []
    for (const m of messages) {
      const h = this.held.get(m.to)
      if (commitOnly(m)) {
        // A newer notice to the same follower replaces the older one.
        this.held.set(m.to, m)
        continue
      }
      if (h !== undefined) {
        this.held.delete(m.to)
        const carried = m.type === MessageType.App && m.term === h.term && m.commit >= h.commit
        if (!carried) out.push(h)
      }
      out.push(m)
    }
    this.arm()
    return out
  }

  /**
   * Sends whatever is held now. Called before a configuration change is applied: a member being
   * removed learns of its removal only from the commit index, and once the change is applied here
   * the transport no longer reaches it.
   */
  release(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.flush()
  }

  /** Drops whatever is held (the member is stopping). */
  clear(): void {
    this.held.clear()
    this.arm()
  }

  /** How many notices are held (tests look). */
  get size(): number {
    return this.held.size
  }

  private arm(): void {
    if (this.held.size === 0) {
      if (this.timer !== undefined) {
        clearTimeout(this.timer)
        this.timer = undefined
      }
      return
    }
    this.timer ??= setTimeout(() => this.flush(), this.holdMs)
  }

  private flush(): void {
    this.timer = undefined
    if (this.held.size === 0) return
    const due = [...this.held.values()]
    this.held.clear()
    this.send(due)
  }
}
