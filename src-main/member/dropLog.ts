/**
 * Log lines for what the peer and client ports drop. Someone who sends garbage can send a lot of it: the first
 * lines of every window are written, the rest are counted and summed up in one line, so a flood
 * cannot fill the disk or drown the member's other log lines.
 */
export class DropLog {
  private windowStart = 0
  private written = 0
  private suppressed = 0

  constructor(
    private readonly log: (line: string) => void,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  drop(line: string): void {
    const t = this.now()
    if (t - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.log(`${this.suppressed} more dropped connections or messages were not logged`)
      this.windowStart = t
      this.written = 0
      this.suppressed = 0
    }
    if (this.written < this.perWindow) {
      this.written++
      this.log(line)
    } else this.suppressed++
  }
}
