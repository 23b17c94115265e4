// A linearizability checker in the style of porcupine: Wing & Gong's search
// with Lowe's just-in-time linearization and memoization of (set of
// linearized operations, model state), run separately per partition (per
// key), which is sound for models whose partitions are independent.
//
// Operations whose outcome is unknown (the client timed out) have an infinite
// return time: they may take effect at any point after their call, including
// never (linearized after everything that matters).

export interface Operation<I, O> {
  readonly clientId: number
  readonly input: I
  readonly output: O
  readonly call: number
  /** Infinity when the outcome is unknown. */
  readonly ret: number
}

export interface Model<S, I, O> {
  /** Splits a history into independent sub-histories (e.g. one per key). */
  partition(ops: readonly Operation<I, O>[]): Operation<I, O>[][]
  init(): S
  /** Can `input` with `output` happen in state `s`? If so, the next state. */
  step(s: S, input: I, output: O): { ok: boolean; next: S }
  /** A canonical string of the state, for memoization. */
  stateKey(s: S): string
}

export type CheckResult = 'ok' | 'illegal' | 'unknown'

interface Node {
  readonly id: number
  readonly isCall: boolean
  readonly time: number
  match: Node | null
  prev: Node | null
  next: Node | null
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Node {
  const events: Node[] = []
  ops.forEach((op, id) => {
    const call: Node = { id, isCall: true, time: op.call, match: null, prev: null, next: null }
    const ret: Node = { id, isCall: false, time: op.ret, match: null, prev: null, next: null }
    call.match = ret
    events.push(call, ret)
  })
  // At equal times calls sort first: such operations count as concurrent,
  // which can only make the checker more permissive, never report a false bug.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1))
  const head: Node = { id: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null }
  let prev = head
  for (const e of events) {
    prev.next = e
    e.prev = prev
    prev = e
  }
  return head
}

/** Takes a call and its return out of the list (the operation is linearized). */
function lift(call: Node): void {
  call.prev!.next = call.next
  if (call.next) call.next.prev = call.prev
  const ret = call.match!
  ret.prev!.next = ret.next
  if (ret.next) ret.next.prev = ret.prev
}

/** Undoes lift, in reverse order. */
function unlift(call: Node): void {
  const ret = call.match!
  ret.prev!.next = ret
  if (ret.next) ret.next.prev = ret
  call.prev!.next = call
  if (call.next) call.next.prev = call
}

/**
 * The memo of visited (linearized set, state) pairs. The set is a bitset; a
 * 32-bit Zobrist hash of it (XOR of per-operation random keys, updated in
 * O(1) per step) picks the bucket, and bitsets are compared exactly inside
 * it, so a hash collision can never hide a linearization.
 */
class Memo {
  private readonly buckets = new Map<string, Uint32Array[]>()

  /** Returns false if already present; otherwise records it. */
  add(hash: number, stateKey: string, bits: Uint32Array): boolean {
    const key = `${hash}|${stateKey}`
    const list = this.buckets.get(key)
    if (!list) {
      this.buckets.set(key, [bits.slice()])
      return true
    }
    for (const b of list) if (sameBits(b, bits)) return false
    list.push(bits.slice())
    return true
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function zobristKeys(n: number): Uint32Array {
  // Deterministic 32-bit keys: the hash only selects a bucket, so its quality affects speed, never correctness.
  const keys = new Uint32Array(n)
  let x = 0x9e3779b9
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0
    keys[i] = x
  }
  return keys
}

function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], budget: number): CheckResult {
  const head = buildList(ops)
  const bits = new Uint32Array(Math.ceil(ops.length / 32) || 1)
  const keys = zobristKeys(ops.length)
  const unknown = ops.map((op) => op.ret === Infinity)
  let remainingKnown = unknown.filter((u) => !u).length
  let hash = 0
  const memo = new Memo()
  // Candidates at each node are tried in two passes: operations with a known
  // outcome first, then those of unknown outcome. Same search tree, but a
  // linearizable history is found without first trying every placement of
  // every timed-out write (which may always go last, or never happen).
  const stack: { call: Node; state: S; pass: 0 | 1 }[] = []
  let state = model.init()
  let entry = head.next
  let pass: 0 | 1 = 0
  let steps = 0
  while (head.next !== null) {
    if (++steps > budget) return 'unknown'
    if (remainingKnown === 0 && finishUnknown(model, ops, head, state)) return 'ok'
    if (entry !== null && entry.isCall) {
      if ((pass === 0) === unknown[entry.id]) {
        entry = entry.next
        continue
      }
      const op = ops[entry.id]
      const r = model.step(state, op.input, op.output)
      if (r.ok) {
        bits[entry.id >>> 5] ^= 1 << (entry.id & 31)
        hash = (hash ^ keys[entry.id]) >>> 0
        if (memo.add(hash, model.stateKey(r.next), bits)) {
          stack.push({ call: entry, state, pass })
          if (!unknown[entry.id]) remainingKnown--
          state = r.next
          lift(entry)
          entry = head.next
          pass = 0
          continue
        }
        bits[entry.id >>> 5] ^= 1 << (entry.id & 31)
        hash = (hash ^ keys[entry.id]) >>> 0
      }
      entry = entry.next
      continue
    }
    // A return (or the end): no later call may go before this operation.
    if (pass === 0) {
      pass = 1
      entry = head.next
      continue
    }
    const top = stack.pop()
    if (!top) return 'illegal'
    state = top.state
    entry = top.call
    pass = top.pass
    if (!unknown[entry.id]) remainingKnown++
    bits[entry.id >>> 5] ^= 1 << (entry.id & 31)
    hash = (hash ^ keys[entry.id]) >>> 0
    unlift(entry)
    entry = entry.next
  }
  return 'ok'
}

/** Only unknown-outcome operations remain: can they all go last, in list order? */
function finishUnknown<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], head: Node, state: S): boolean {
  let s = state
  for (let e = head.next; e !== null; e = e.next) {
    if (!e.isCall) continue
    const r = model.step(s, ops[e.id].input, ops[e.id].output)
    if (!r.ok) return false
    s = r.next
  }
  return true
}

export interface CheckReport<I, O> {
  readonly result: CheckResult
  /** The first partition that is not linearizable (or ran out of budget). */
  readonly failing?: readonly Operation<I, O>[]
}

export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  budgetPerPartition = 5_000_000,
): CheckReport<I, O> {
  let sawUnknown: Operation<I, O>[] | undefined
  for (const part of model.partition(history)) {
    const r = checkPartition(model, part, budgetPerPartition)
    if (r === 'illegal') return { result: 'illegal', failing: part }
    if (r === 'unknown' && !sawUnknown) sawUnknown = part
  }
  return sawUnknown ? { result: 'unknown', failing: sawUnknown } : { result: 'ok' }
}
