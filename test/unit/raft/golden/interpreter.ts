// The golden transcripts' script language: a handful of commands that drive Raft nodes by hand
// (create, tick, campaign, propose, transfer, step, ready, deliver, stabilize, partition, ...) over
// a network that delivers only when told to. Each command returns the lines it printed; the runner
// compares them with the transcript. The commands are listed in testdata/README.md.

import { decodeConfChange } from '../../../../src-main/raft/confChange'
import type { Config } from '../../../../src-main/raft/config'
import { RawNode } from '../../../../src-main/raft/rawNode'
import { seededRandom } from '../../../../src-main/raft/random'
import { MemoryStorage } from '../../../../src-main/raft/storage'
import type { ConfChangeType, Message, MessageType as MessageTypeT, NodeId } from '../../../../src-main/raft/types'
import { EntryType, MessageType, isLocalMessage, makeMessage } from '../../../../src-main/raft/types'
import { describeEntry, describeMessage, describeReady, describeSnapshot, TraceLines } from './describe'

export class ScriptError extends Error {}

/** One command line: a verb, positional arguments and key=value options. */
export interface Command {
  verb: string
  args: string[]
  opts: Map<string, string>
}

export function parseCommand(line: string): Command {
  const words = line.trim().split(/\s+/)
  const verb = words.shift()!
  const args: string[] = []
  const opts = new Map<string, string>()
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq > 0) opts.set(w.slice(0, eq), w.slice(eq + 1))
    else args.push(w)
  }
  return { verb, args, opts }
}

/** `(1,2,3)`, `1,2,3` or `1` as a list of IDs. */
function ids(word: string): NodeId[] {
  return word
    .replace(/[()]/g, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

interface Node {
  rn: RawNode
  storage: MemoryStorage
  config: Config
  /** Index of the newest entry the harness applied (its "state machine"). */
  applied: number
}

const CONF_TYPES: Record<string, ConfChangeType> = { add: 'addNode', 'add-learner': 'addLearnerNode', remove: 'removeNode' }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

export class GoldenEnv {
  private readonly nodes = new Map<NodeId, Node>()
  /** Messages on their way, per recipient, in the order they were sent. */
  private readonly queues = new Map<NodeId, Array<{ m: Message; life: number; cut: boolean }>>()
  /** Bumped when a node crashes and when it restarts: a message meant for another life is lost. */
  private readonly lives = new Map<NodeId, number>()
  /** Node → partition group; nodes in different groups cannot talk. Empty: no partition. */
  private readonly groups = new Map<NodeId, number>()
  private readonly crashed = new Map<NodeId, Node>()
  private readonly trace = new TraceLines()
  /** Options every node is created with, changed by `create` and `add-node`. */
  private defaults: Partial<Config> = {}

  run(cmd: Command): string[] {
    const handler = this.commands[cmd.verb]
    if (!handler) throw new ScriptError(`unknown command ${cmd.verb}`)
    const out = handler(cmd)
    const rest = this.trace.take()
    return [...out, ...rest]
  }

  private readonly commands: Record<string, (c: Command) => string[]> = {
    create: (c) => this.create(c),
    'add-node': (c) => this.addNode(c),
    tick: (c) => this.each(c, (n) => this.tick(n, Number(c.opts.get('times') ?? 1))),
    'tick-election': (c) => this.each(c, (n) => this.tick(n, this.node(n).config.electionTick)),
    'tick-heartbeat': (c) => this.each(c, (n) => this.tick(n, this.node(n).config.heartbeatTick)),
    campaign: (c) => this.one(c, (n) => this.node(n).rn.campaign()),
    propose: (c) => this.one(c, (n) => this.dropped(this.node(n).rn.propose(bytes(c.args[1] ?? '')))),
    'propose-conf': (c) => this.one(c, (n) => this.proposeConf(n, c)),
    transfer: (c) => this.one(c, (n) => this.dropped(this.node(n).rn.transferLeader(this.arg(c, 1)))),
    'read-index': (c) => this.one(c, (n) => this.dropped(this.node(n).rn.readIndex(bytes(this.arg(c, 1))))),
    'report-unreachable': (c) => this.one(c, (n) => this.node(n).rn.reportUnreachable(this.arg(c, 1))),
    'report-snapshot': (c) => this.one(c, (n) => this.node(n).rn.reportSnapshot(this.arg(c, 1), this.arg(c, 2) === 'ok')),
    step: (c) => this.step(c),
    ready: (c) => this.eachOut(c, (n) => this.ready(n)),
    deliver: (c) => this.eachOut(c, (n) => this.deliver(n, c.opts.get('from'))),
    drop: (c) => this.eachOut(c, (n) => this.drop(n, c.opts.get('from'))),
    duplicate: (c) => this.eachOut(c, (n) => this.duplicate(n)),
    stabilize: (c) => this.stabilize(c.args.length ? c.args.flatMap(ids) : [...this.nodes.keys()]),
    partition: (c) => this.partition(c.args.map(ids)),
    isolate: (c) => this.partition([ids(this.arg(c, 0)), [...this.nodes.keys()].filter((n) => !ids(this.arg(c, 0)).includes(n))]),
    heal: () => {
      this.groups.clear()
      return []
    },
    compact: (c) => this.one(c, (n) => this.compact(n, Number(this.arg(c, 1)))),
    crash: (c) => this.one(c, (n) => this.crash(n)),
    restart: (c) => this.one(c, (n) => this.restart(n)),
    status: (c) => (c.args.length ? c.args.flatMap(ids) : [...this.nodes.keys()]).flatMap((n) => this.status(n)),
    log: (c) => this.eachOut(c, (n) => this.log(n)),
  }

  // ---- nodes ----

  private config(id: NodeId, c: Command, base: Partial<Config>): Config {
    const o = c.opts
    const num = (k: string) => (o.has(k) ? Number(o.get(k)) : undefined)
    const flag = (k: string) => (o.has(k) ? o.get(k) === 'true' : undefined)
    const pick: Partial<Config> = {
      electionTick: num('election') ?? base.electionTick ?? 10,
      heartbeatTick: num('heartbeat') ?? base.heartbeatTick ?? 1,
      preVote: flag('prevote') ?? base.preVote ?? true,
      checkQuorum: flag('checkquorum') ?? base.checkQuorum ?? true,
      maxSizePerMsg: num('max-size') ?? base.maxSizePerMsg,
      maxInflightMsgs: num('max-inflight') ?? base.maxInflightMsgs,
      maxUncommittedEntriesSize: num('max-uncommitted') ?? base.maxUncommittedEntriesSize,
    }
    this.defaults = pick
    return { ...pick, id, random: seededRandom(Number(id)), trace: this.trace.sink } as Config
  }

  private create(c: Command): string[] {
    const n = Number(this.arg(c, 0))
    const voters = Array.from({ length: n }, (_, i) => String(i + 1))
    for (const id of voters) {
      const storage = new MemoryStorage()
      const config = this.config(id, c, {})
      const rn = new RawNode(config, storage)
      rn.bootstrap(voters)
      this.nodes.set(id, { rn, storage, config, applied: 0 })
    }
    // The bootstrap entries are committed already: apply them quietly, as a fresh cluster does.
    for (const id of voters) this.ready(id)
    this.trace.take()
    return []
  }

  /** A new member with an empty log, as `--initial-cluster-state existing` starts one. */
  private addNode(c: Command): string[] {
    for (const id of ids(this.arg(c, 0))) {
      if (this.nodes.has(id)) throw new ScriptError(`node ${id} exists`)
      const storage = new MemoryStorage()
      const config = this.config(id, c, this.defaults)
      this.nodes.set(id, { rn: new RawNode(config, storage), storage, config, applied: 0 })
    }
    return []
  }

  private node(id: NodeId): Node {
    const n = this.nodes.get(id)
    if (!n) throw new ScriptError(`no node ${id}`)
    return n
  }

  private arg(c: Command, i: number): string {
    const a = c.args[i]
    if (a === undefined) throw new ScriptError(`${c.verb}: argument ${i + 1} is missing`)
    return a
  }

  private each(c: Command, fn: (id: NodeId) => void): string[] {
    for (const id of c.args.flatMap(ids)) fn(id)
    return []
  }

  private eachOut(c: Command, fn: (id: NodeId) => string[]): string[] {
    const targets = c.args.length ? c.args.flatMap(ids) : [...this.nodes.keys()]
    return targets.flatMap(fn)
  }

  private one(c: Command, fn: (id: NodeId) => string[] | void): string[] {
    return fn(this.arg(c, 0)) ?? []
  }

  private dropped(accepted: boolean): string[] {
    return accepted ? [] : ['(refused)']
  }

  private tick(id: NodeId, times: number): void {
    for (let i = 0; i < times; i++) this.node(id).rn.tick()
  }

  private proposeConf(id: NodeId, c: Command): string[] {
    const type = CONF_TYPES[this.arg(c, 1)]
    if (!type) throw new ScriptError(`propose-conf: ${c.args[1]} is not add, add-learner or remove`)
    return this.dropped(this.node(id).rn.proposeConfChange({ type, nodeId: this.arg(c, 2), context: new Uint8Array(0) }))
  }

  /** `step <to> <from> <MsgType> term=N log=T/I commit=N reject hint=N ctx=S`: a message from the network. */
  private step(c: Command): string[] {
    const to = this.arg(c, 0)
    const type = this.arg(c, 2) as MessageTypeT
    if (!Object.values(MessageType).includes(type) || isLocalMessage(type)) throw new ScriptError(`step: ${type} is not a network message`)
    const [logTerm, index] = (c.opts.get('log') ?? '0/0').split('/').map(Number)
    const m = makeMessage({
      type,
      to,
      from: this.arg(c, 1),
      term: Number(c.opts.get('term') ?? 0),
      logTerm,
      index,
      commit: Number(c.opts.get('commit') ?? 0),
      reject: c.args.includes('reject'),
      rejectHint: Number(c.opts.get('hint') ?? 0),
      context: c.opts.has('ctx') ? bytes(c.opts.get('ctx')!) : null,
    })
    this.node(to).rn.step(m)
    return [`recv: ${describeMessage(m)}`]
  }

  // ---- a member's Ready loop, one Ready at a time ----

  /** Persist, send (queue), apply, advance: what a member does with one Ready. */
  private ready(id: NodeId): string[] {
    const n = this.node(id)
    if (!n.rn.hasReady()) return []
    const rd = n.rn.ready()
    const out = [`> ${id} ${describeReady(rd)[0]}`, ...describeReady(rd).slice(1).map((l) => `  ${l}`)]
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot)
      n.applied = rd.snapshot.metadata.index
    }
    n.storage.append(rd.entries)
    if (rd.hardState) n.storage.setHardState(rd.hardState)
    for (const m of rd.messages) this.queue(m).push({ m, life: this.lives.get(m.to) ?? 0, cut: !this.canTalk(m.from, m.to) })
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) n.rn.applyConfChange(decodeConfChange(e.data))
      n.applied = e.index
    }
    n.rn.advance()
    return [...out, ...this.trace.take().map((l) => `  ${l}`)]
  }

  private queue(m: Message): Array<{ m: Message; life: number; cut: boolean }> {
    let q = this.queues.get(m.to)
    if (!q) this.queues.set(m.to, (q = []))
    return q
  }

  private canTalk(a: NodeId, b: NodeId): boolean {
    if (this.groups.size === 0) return true
    return (this.groups.get(a) ?? -1) === (this.groups.get(b) ?? -1)
  }

  private take(id: NodeId, from: string | undefined): Array<{ m: Message; life: number; cut: boolean }> {
    const q = this.queues.get(id) ?? []
    const taken = q.filter((x) => from === undefined || x.m.from === from)
    this.queues.set(
      id,
      q.filter((x) => !taken.includes(x)),
    )
    return taken
  }

  private deliver(id: NodeId, from: string | undefined): string[] {
    const msgs = this.take(id, from)
    if (msgs.length === 0) return []
    const out = [`> ${id} receives`]
    for (const { m, life, cut } of msgs) {
      const n = this.nodes.get(id)
      // Lost if the link was cut when it was sent or is cut now, or the recipient restarted since.
      if (!n || cut || life !== (this.lives.get(id) ?? 0) || !this.canTalk(m.from, m.to)) {
        out.push(`  lost: ${describeMessage(m)}`)
        continue
      }
      out.push(`  recv: ${describeMessage(m)}`)
      n.rn.step(m)
      out.push(...this.trace.take().map((l) => `  ${l}`))
    }
    return out
  }

  private drop(id: NodeId, from: string | undefined): string[] {
    return this.take(id, from).map((x) => `lost: ${describeMessage(x.m)}`)
  }

  private duplicate(id: NodeId): string[] {
    const q = this.queues.get(id) ?? []
    this.queues.set(
      id,
      q.flatMap((x) => [x, x]),
    )
    return q.map((x) => `twice: ${describeMessage(x.m)}`)
  }

  /** Readies and deliveries until nothing moves: every node's Ready, then every queue, again. */
  private stabilize(targets: NodeId[]): string[] {
    const out: string[] = []
    for (let round = 0; ; round++) {
      if (round > 1000) throw new ScriptError('stabilize: the cluster does not settle')
      let moved = false
      for (const id of targets) {
        while (this.nodes.get(id)?.rn.hasReady()) {
          out.push(...this.ready(id))
          moved = true
        }
      }
      for (const id of targets) {
        const lines = this.deliver(id, undefined)
        if (lines.length) moved = true
        out.push(...lines)
      }
      if (!moved) return out
    }
  }

  private partition(groups: NodeId[][]): string[] {
    this.groups.clear()
    groups.forEach((g, i) => g.forEach((id) => this.groups.set(id, i)))
    return []
  }

  // ---- storage and crashes ----

  /** Snapshot the applied state at `index` and drop the log before it (a member's snapshot + compaction). */
  private compact(id: NodeId, index: number): void {
    const n = this.node(id)
    if (index > n.applied) throw new ScriptError(`compact: ${id} has applied only up to ${n.applied}`)
    n.storage.createSnapshot(index, n.rn.status().config, bytes(`state of ${id} at ${index}`))
    n.storage.compact(index)
  }

  /** The process dies: what it persisted survives; messages in flight to it, or sent while it is down, are lost. */
  private crash(id: NodeId): void {
    this.crashed.set(id, this.node(id))
    this.nodes.delete(id)
    this.lives.set(id, (this.lives.get(id) ?? 0) + 1)
  }

  /**
   * A new RawNode over what the node persisted. Like a member, it restarts from its newest
   * snapshot: the committed entries after it are applied again (configuration changes included).
   */
  private restart(id: NodeId): void {
    const old = this.nodes.get(id) ?? this.crashed.get(id)
    if (!old) throw new ScriptError(`restart: no node ${id}`)
    this.crashed.delete(id)
    this.lives.set(id, (this.lives.get(id) ?? 0) + 1)
    const applied = old.storage.snapshot().metadata.index
    const config = { ...old.config, applied }
    this.nodes.set(id, { rn: new RawNode(config, old.storage), storage: old.storage, config, applied })
  }

  // ---- inspection ----

  private status(id: NodeId): string[] {
    const n = this.nodes.get(id)
    if (!n) return [`${id}: down`]
    const s = n.rn.status()
    const out = [`${id}: ${s.role} term=${s.term} lead=${s.lead} vote=${s.vote} commit=${s.commit} applied=${n.applied} last=${s.lastIndex}`]
    for (const [peer, p] of [...s.progress].sort(([a], [b]) => Number(a) - Number(b))) {
      out.push(`  ${peer}: ${p.state} match=${p.match} next=${p.next}${p.isLearner ? ' learner' : ''}${p.recentActive ? ' active' : ''}${p.inflight ? ` inflight=${p.inflight}` : ''}`)
    }
    return out
  }

  private log(id: NodeId): string[] {
    const st = this.node(id).storage
    const snap = st.snapshot()
    const out = [`> ${id} log`]
    if (snap.metadata.index > 0) out.push(`  snapshot: ${describeSnapshot(snap)}`)
    const first = st.firstIndex()
    const last = st.lastIndex()
    if (last >= first) for (const e of st.entries(first, last + 1, 0)) out.push(`  ${describeEntry(e)}`)
    return out
  }
}
