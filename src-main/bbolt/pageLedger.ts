/**
 * Which page of a bbolt file is reached by the tree walk and which the freelist names, with the
 * problems found on the way: the bookkeeping both consistency checkers (the in-memory `checkConsistency`
 * and the streaming verifier) share, so their verdicts and messages cannot drift apart.
 */
/** A reference's description, built only when a report needs it. */
const viaText = (via: string | (() => string)): string => (typeof via === 'string' ? via : via())

export class PageLedger {
  /** Human-readable problems, capped at `maxProblems`. */
  readonly problems: string[] = []
  reachable = 0
  free = 0
  /** 0 = unseen, 1 = reachable, 2 = free. */
  private readonly state: Uint8Array

  constructor(
    /** The high-water mark: the number of pages the file has. */
    readonly hwm: number,
    private readonly maxProblems = 1000,
  ) {
    this.state = new Uint8Array(hwm)
    if (hwm < 2) this.report(`high-water mark ${hwm} leaves no room for the two meta pages`)
    for (const id of [0, 1]) if (id < hwm) this.reach(id, 'meta')
  }

  report(msg: string): void {
    if (this.problems.length < this.maxProblems) this.problems.push(msg)
  }

  /**
   * A reference to page `id` from `via`; false when it must not be followed (out of bounds, seen).
   * `via` may be a function, called only for a report: a walk over 50,000 pages need not build
   * 50,000 descriptions that are read only when something is wrong.
   */
  reach(id: number, via: string | (() => string)): boolean {
    if (id >= this.hwm) {
      this.report(`page ${id}: out of bounds (high-water mark ${this.hwm}), referenced from ${viaText(via)}`)
      return false
    }
    if (this.state[id] === 1) {
      this.report(`page ${id}: multiple references (again from ${viaText(via)})`)
      return false
    }
    if (this.state[id] === 2) this.report(`page ${id}: reachable from ${viaText(via)} but listed as free`)
    this.state[id] = 1
    this.reachable++
    return true
  }

  /** Page `id` as the persisted freelist names it. */
  listedFree(id: number): void {
    if (id >= this.hwm) this.report(`freelist: page ${id} is beyond the high-water mark ${this.hwm}`)
    else if (id < 2) this.report(`freelist: meta page ${id} is listed as free`)
    else if (this.state[id] === 2) this.report(`freelist: page ${id} is listed twice`)
    else if (this.state[id] === 1) this.report(`page ${id}: listed as free but used by the freelist itself`)
    else {
      this.state[id] = 2
      this.free++
    }
  }

  /**
   * After the walk: with a persisted freelist, every page neither reached nor free is a problem
   * (returned as a count); without one, such pages are the free ones, as bbolt rebuilds its list.
   */
  settle(freelistPersisted: boolean): number {
    let unreachable = 0
    for (let id = 0; id < this.hwm; id++) {
      if (this.state[id] !== 0) continue
      if (freelistPersisted) {
        unreachable++
        this.report(`page ${id}: unreachable and not free`)
      } else if (id >= 2) this.free++
    }
    return unreachable
  }
}
