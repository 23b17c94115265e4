// npm run bench:raft — how many entries per second a 3-node cluster commits
// through the Raft core, over the simulated network (virtual clock, 1–2 ms
// links, no faults), with in-memory storage. Wall-clock time is what counts:
// it is the CPU budget the core leaves to the layers above it.

import { RawNode, canSendBeforePersist } from '../../src-main/raft/rawNode'
import { seededRandom } from '../../src-main/raft/random'
import { MemoryStorage } from '../../src-main/raft/storage'
import type { Message, NodeId } from '../../src-main/raft/types'
import { EventQueue } from './eventQueue'
import { Network } from './network'
import { Rng } from './prng'

interface BenchNode {
  readonly id: NodeId
  readonly rn: RawNode
  readonly storage: MemoryStorage
  applied: number
}

interface Result {
  readonly proposalsPerMs: number
  readonly batched: boolean
  readonly entries: number
  readonly seconds: number
  readonly messages: number
}

function run(proposalsPerMs: number, batched: boolean, payload: number, wallBudgetMs: number): Result {
  const q = new EventQueue()
  const net = new Network({ minDelay: 1, maxDelay: 2, dropRate: 0, dupRate: 0, reorderRate: 0, longDelayMax: 0, fifo: true }, new Rng(7))
  const ids = ['1', '2', '3']
  const nodes = new Map<NodeId, BenchNode>()
  let messages = 0
  for (const id of ids) {
    const storage = new MemoryStorage()
    const rn = new RawNode(
      { id, electionTick: 10, heartbeatTick: 1, random: seededRandom(Number(id)), maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 256 },
      storage,
    )
    rn.bootstrap(ids)
    nodes.set(id, { id, rn, storage, applied: 0 })
  }
  const send = (m: Message): void => {
    messages++
    for (const d of net.delays(m.from, m.to, q.now)) {
      q.after(d, () => {
        const n = nodes.get(m.to)!
        n.rn.step(m)
        drain(n)
      })
    }
  }
  const drain = (n: BenchNode): void => {
    while (n.rn.hasReady()) {
      const rd = n.rn.ready()
      for (const m of rd.messages) if (canSendBeforePersist(m)) send(m)
      if (rd.snapshot) n.storage.applySnapshot(rd.snapshot)
      n.storage.append(rd.entries)
      if (rd.hardState) n.storage.setHardState(rd.hardState)
      for (const m of rd.messages) if (!canSendBeforePersist(m)) send(m)
      if (rd.committedEntries.length > 0) n.applied = rd.committedEntries[rd.committedEntries.length - 1].index
      n.rn.advance()
    }
  }
  for (const n of nodes.values()) drain(n)
  for (const n of nodes.values()) {
    const tick = (): void => {
      n.rn.tick()
      drain(n)
      q.after(10, tick)
    }
    q.after(Number(n.id), tick)
  }
  const leader = nodes.get('1')!
  leader.rn.campaign()
  drain(leader)
  while (leader.rn.raft.role !== 'leader') q.runNext(Infinity)
  const data = new Uint8Array(payload).fill(42)
  // Keep proposing every virtual millisecond, bounded so the uncommitted tail stays sane.
  const propose = (): void => {
    if (leader.rn.raft.log.lastIndex() - leader.applied < 20_000) {
      if (batched) leader.rn.proposeMany(new Array<Uint8Array>(proposalsPerMs).fill(data))
      else for (let i = 0; i < proposalsPerMs; i++) leader.rn.propose(data)
      drain(leader)
    }
    q.after(1, propose)
  }
  propose()
  const startApplied = leader.applied
  const started = performance.now()
  let elapsed = 0
  while (elapsed < wallBudgetMs) {
    for (let i = 0; i < 2000; i++) q.runNext(Infinity)
    elapsed = performance.now() - started
  }
  return { proposalsPerMs, batched, entries: leader.applied - startApplied, seconds: elapsed / 1000, messages }
}

function main(): void {
  const payload = 256
  console.log(`3-node cluster, ${payload}-byte entries, simulated 1–2 ms links, in-memory storage, one process, one core`)
  console.log('proposals per virtual ms   how proposed          committed entries/s (wall)   messages/s (wall)')
  run(16, true, payload, 300) // warm up the JIT
  for (const [rate, batched] of [[16, false], [128, false], [16, true], [128, true], [1024, true]] as const) {
    const samples: Result[] = []
    for (let i = 0; i < 3; i++) samples.push(run(rate, batched, payload, 1500))
    const eps = samples.map((r) => r.entries / r.seconds).sort((a, b) => a - b)
    const mps = samples.map((r) => r.messages / r.seconds).sort((a, b) => a - b)
    const how = batched ? 'proposeMany (1 msg)' : 'propose each'
    console.log(
      `${String(rate).padStart(24)}   ${how.padEnd(20)}  ${Math.round(eps[1]).toLocaleString('en-US').padStart(26)}   ${Math.round(mps[1]).toLocaleString('en-US').padStart(17)}`,
    )
  }
  console.log('(median of 3 runs of 1.5 s each)')
}

main()
