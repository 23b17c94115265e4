/**
 * The cluster's membership as the state machine sees it (etcd's RaftCluster): members with
 * their peer and client URLs, learners, and IDs that were removed and may never come back.
 */
import { Errors } from '../errors'
import type { Member } from './pb'

/** etcd allows one learner at a time (maxLearners in etcd's membership package). */
export const MAX_LEARNERS = 1

export class ClusterMembers {
  readonly members = new Map<string, Member>()
  readonly removed = new Set<string>()

  constructor(
    public clusterId: string,
    readonly localId: string,
  ) {}

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (BigInt(a.ID) < BigInt(b.ID) ? -1 : 1)).map((m) => ({ ...m }))
  }

  get(id: string): Member | undefined {
    return this.members.get(id)
  }

  voters(): string[] {
    return [...this.members.values()].filter((m) => !m.isLearner).map((m) => m.ID)
  }

  learnerCount(): number {
    let n = 0
    for (const m of this.members.values()) if (m.isLearner) n++
    return n
  }

  /** Checks a MemberAdd before proposing it (etcd's ValidateConfigurationChange). */
  checkAdd(m: Member): void {
    if (this.members.has(m.ID) || this.removed.has(m.ID)) throw Errors.memberExist()
    const urls = new Set(m.peerURLs)
    for (const other of this.members.values()) if (other.peerURLs.some((u) => urls.has(u))) throw Errors.peerURLExist()
    if (m.isLearner && this.learnerCount() >= MAX_LEARNERS) throw Errors.tooManyLearners()
  }

  checkRemove(id: string): void {
    if (this.removed.has(id)) throw Errors.memberNotFound()
    if (!this.members.has(id)) throw Errors.memberNotFound()
  }

  checkUpdate(id: string, peerURLs: string[]): void {
    if (!this.members.has(id)) throw Errors.memberNotFound()
    const urls = new Set(peerURLs)
    for (const other of this.members.values()) if (other.ID !== id && other.peerURLs.some((u) => urls.has(u))) throw Errors.peerURLExist()
  }

  checkPromote(id: string): void {
    const m = this.members.get(id)
    if (!m) throw Errors.memberNotFound()
    if (!m.isLearner) throw Errors.memberNotLearner()
  }

  add(m: Member): void {
    this.members.set(m.ID, { ...m, clientURLs: [...m.clientURLs], peerURLs: [...m.peerURLs] })
  }

  remove(id: string): void {
    this.members.delete(id)
    this.removed.add(id)
  }

  update(id: string, peerURLs: string[]): void {
    const m = this.members.get(id)
    if (m) m.peerURLs = [...peerURLs]
  }

  promote(id: string): void {
    const m = this.members.get(id)
    if (m) m.isLearner = false
  }

  setAttributes(id: string, name: string, clientURLs: string[]): void {
    const m = this.members.get(id)
    if (m) {
      m.name = name
      m.clientURLs = [...clientURLs]
    }
  }

  toJSON(): { clusterId: string; members: Member[]; removed: string[] } {
    return { clusterId: this.clusterId, members: this.list(), removed: [...this.removed] }
  }

  restore(s: { clusterId: string; members: Member[]; removed: string[] }): void {
    this.clusterId = s.clusterId
    this.members.clear()
    this.removed.clear()
    for (const m of s.members) this.add(m)
    for (const r of s.removed) this.removed.add(r)
  }
}
