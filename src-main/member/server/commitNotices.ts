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

/** The notice held for one follower, if any. */
interface Slot {
  to: NodeId
  held: Message | undefined
}

export class CommitNotices {
  /**
   * One slot per follower ever written to, emptied and refilled in place. Not a Map: one that
   * lives long is in V8's old generation, and gaining and losing an entry per follower on every put
   * made it reallocate its hash table there, garbage only a full collection reclaims.
   */
  private readonly slots: Slot[] = []
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
      const slot = this.slot(m.to)
      const h = slot.held
      if (commitOnly(m)) {
        // A newer notice to the same follower replaces the older one.
        slot.held = m
        continue
      }
      if (h !== undefined) {
        slot.held = undefined
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
    this.slots.length = 0
    this.arm()
  }

  /** How many notices are held (tests look). */
  get size(): number {
    let n = 0
    for (const s of this.slots) if (s.held !== undefined) n++
    return n
  }

  private slot(to: NodeId): Slot {
    for (const s of this.slots) if (s.to === to) return s
    const s: Slot = { to, held: undefined }
    this.slots.push(s)
    return s
  }

  private arm(): void {
    if (this.size === 0) {
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
    const due: Message[] = []
    for (const s of this.slots) {
      if (s.held === undefined) continue
      due.push(s.held)
      s.held = undefined
    }
    if (due.length !== 0) this.send(due)
  }
}
