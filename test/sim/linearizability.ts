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

function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], budget: number): CheckResult {
  const head = buildList(ops)
  const bits = new Uint32Array(Math.ceil(ops.length / 32) || 1)
  const seen = new Set<string>()
  const stack: { call: Node; state: S }[] = []
  let state = model.init()
  let entry = head.next
  let steps = 0
  while (head.next !== null) {
    if (++steps > budget) return 'unknown'
    if (entry === null) return 'illegal'
    if (entry.isCall) {
      const op = ops[entry.id]
      const r = model.step(state, op.input, op.output)
      if (r.ok) {
        bits[entry.id >>> 5] ^= 1 << (entry.id & 31)
        const key = bits.join(',') + '|' + model.stateKey(r.next)
        if (!seen.has(key)) {
          seen.add(key)
          stack.push({ call: entry, state })
          state = r.next
          lift(entry)
          entry = head.next
          continue
        }
        bits[entry.id >>> 5] ^= 1 << (entry.id & 31)
      }
      entry = entry.next
    } else {
      // A return whose call is not linearized yet: this order is impossible, backtrack.
      const top = stack.pop()
      if (!top) return 'illegal'
      state = top.state
      entry = top.call
      bits[entry.id >>> 5] ^= 1 << (entry.id & 31)
      unlift(entry)
      entry = entry.next
    }
  }
  return 'ok'
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
