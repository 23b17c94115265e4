// A tiny synchronous cluster for unit tests: messages are delivered in FIFO
// order when deliver() is called, each node handles its Ready exactly as a
// member would (persist, then send, then apply), with no clock and no faults.

import { RawNode } from '../../../src-main/raft/rawNode'
import { seededRandom } from '../../../src-main/raft/random'
import { MemoryStorage } from '../../../src-main/raft/storage'
import type { Config } from '../../../src-main/raft/config'
import { decodeConfChange } from '../../../src-main/raft/confChange'
import type { Entry, Message, NodeId, ReadState } from '../../../src-main/raft/types'
import { EntryType } from '../../../src-main/raft/types'

export class Harness {
  readonly nodes = new Map<NodeId, RawNode>()
  readonly storages = new Map<NodeId, MemoryStorage>()
  readonly applied = new Map<NodeId, Entry[]>()
  readonly reads = new Map<NodeId, ReadState[]>()
  readonly sent: Message[] = []
  queue: Message[] = []
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true

  constructor(ids: NodeId[], extra: Partial<Config> = {}) {
    for (const id of ids) {
      const storage = new MemoryStorage()
      const rn = new RawNode({ id, electionTick: 10, heartbeatTick: 1, random: seededRandom(Number(id)), ...extra }, storage)
      rn.bootstrap(ids)
      this.nodes.set(id, rn)
      this.storages.set(id, storage)
      this.applied.set(id, [])
      this.reads.set(id, [])
    }
    for (const id of ids) this.process(id)
  }

  node(id: NodeId): RawNode {
    return this.nodes.get(id)!
  }

  process(id: NodeId): void {
    const rn = this.node(id)
    const st = this.storages.get(id)!
    while (rn.hasReady()) {
      const rd = rn.ready()
      if (rd.snapshot) st.applySnapshot(rd.snapshot)
      st.append(rd.entries)
      if (rd.hardState) st.setHardState(rd.hardState)
      for (const m of rd.messages) {
        this.sent.push(m)
        if (this.filter(m)) this.queue.push(m)
      }
      for (const e of rd.committedEntries) {
        this.applied.get(id)!.push(e)
        if (e.type === EntryType.ConfChange) rn.applyConfChange(decodeConfChange(e.data))
      }
      this.reads.get(id)!.push(...rd.readStates)
      rn.advance()
    }
  }

  /** Delivers queued messages (and their consequences) until the network is quiet. */
  deliver(limit = 100_000): void {
    let n = 0
    while (this.queue.length > 0) {
      if (++n > limit) throw new Error('network does not quiesce')
      const m = this.queue.shift()!
      const to = this.nodes.get(m.to)
      if (!to) continue
      to.step(m)
      this.process(m.to)
    }
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.node(id).tick()
      this.process(id)
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const id of this.nodes.keys()) this.tick(id)
      this.deliver()
    }
  }

  /** Makes `id` leader by campaigning and delivering. */
  elect(id: NodeId): void {
    this.node(id).campaign()
    this.process(id)
    this.deliver()
  }

  leader(): NodeId | undefined {
    for (const [id, rn] of this.nodes) if (rn.raft.role === 'leader') return id
    return undefined
  }

  appliedData(id: NodeId): string[] {
    return this.applied
      .get(id)!
      .filter((e) => e.type === EntryType.Normal && e.data.byteLength > 0)
      .map((e) => new TextDecoder().decode(e.data))
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
