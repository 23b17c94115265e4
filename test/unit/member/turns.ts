// Counts the event loop's turns (one setImmediate after another) until stopped: a test reads `turn`
// to tell whether two things happened in the same turn or with the loop running in between.
export interface TurnCounter {
  /** Turns counted so far. */
  readonly turn: number
  stop(): void
}

export function countTurns(): TurnCounter {
  let turn = 0
  let counting = true
  const tick = (): void => {
    if (!counting) return
    turn++
    setImmediate(tick)
  }
  setImmediate(tick)
  return {
    get turn() {
      return turn
    },
    stop() {
      counting = false
    },
  }
}
