// One member process: spawn with etcd-style flags, capture its log, and the signals the playground
// controls use. A process that exits without being asked to is reported as crashed, never restarted
// behind the user's back.

import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import type { PlaygroundEngine, ProcessState } from '../../shared/api/playground'
import type { LaunchSpec } from './launcher'
import { AppError, ErrorCode, msg } from '../../shared'

const LOG_LINES = 2000

export interface MemberProcessEvents {
  onState(): void
  onLogLine(line: string): void
}

export class MemberProcess {
  state: ProcessState = 'stopped'
  exitCode: number | null = null
  private child: ChildProcess | null = null
  private readonly log: string[] = []
  private expectedExit: 'stopped' | 'killed' | null = null
  private exited: Promise<void> = Promise.resolve()

  constructor(
    readonly name: string,
    readonly engine: PlaygroundEngine,
    readonly clientPort: number,
    private readonly events: MemberProcessEvents,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null
  }

  logTail(n: number): string[] {
    return this.log.slice(-n)
  }

  private setState(s: ProcessState) {
    this.state = s
    this.events.onState()
  }

  private capture(chunk: Buffer, carry: { rest: string }) {
    const text = carry.rest + chunk.toString('utf8')
    const lines = text.split('\n')
    carry.rest = lines.pop() ?? ''
    for (const line of lines) {
      if (!line) continue
      this.log.push(line)
      if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES)
      this.events.onLogLine(line)
    }
  }

  /** Starts the process and resolves once its client port accepts connections (or rejects if it exits). */
  async start(spec: LaunchSpec, timeoutMs = 30_000): Promise<void> {
    if (this.alive) return
    this.expectedExit = null
    this.exitCode = null
    const child = spawn(spec.cmd, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: false })
    this.child = child
    this.setState('starting')
    const out = { rest: '' }
    const err = { rest: '' }
    child.stdout!.on('data', (c: Buffer) => this.capture(c, out))
    child.stderr!.on('data', (c: Buffer) => this.capture(c, err))
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code
        if (this.child === child) {
          this.child = null
          const s: ProcessState = this.expectedExit ?? (signal === 'SIGKILL' ? 'killed' : 'crashed')
          if (s === 'crashed') this.log.push(`process exited unexpectedly (${code !== null ? `code ${code}` : `signal ${signal}`})`)
          this.setState(s)
        }
        resolve()
      })
      // A command that cannot be run at all emits 'error' and never 'exit'.
      child.once('error', (e) => {
        this.log.push(`cannot start ${spec.cmd}: ${e.message}`)
        if (this.child === child) {
          this.child = null
          this.setState('crashed')
        }
        resolve()
      })
    })
    await this.waitListening(timeoutMs)
    if (this.alive && this.state === 'starting') this.setState('running')
  }

  private async waitListening(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let delay = 25
    while (Date.now() < deadline) {
      if (!this.alive) {
        const last = this.log.slice(-3).join(' | ')
        throw new AppError(ErrorCode.FailedPrecondition, msg('pg.exitedAtStart', { member: this.name, detail: last || msg('pg.exitCode', { code: String(this.exitCode) }) }))
      }
      if (await canConnect(this.clientPort)) return
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(250, delay * 2)
    }
    throw new AppError(ErrorCode.Unavailable, msg('pg.noClientPort', { member: this.name, port: String(this.clientPort), seconds: timeoutMs / 1000 }))
  }

  /** Graceful stop (SIGTERM), then SIGKILL if it does not exit in time. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.child) return
    const child = this.child
    this.expectedExit = 'stopped'
    if (this.state === 'paused') child.kill('SIGCONT')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  /** SIGKILL: the process dies without a chance to flush anything; its fsynced WAL is all that survives. */
  async kill(): Promise<void> {
    if (!this.child) return
    this.expectedExit = 'killed'
    this.child.kill('SIGKILL')
    await this.exited
  }

  pause(): void {
    if (!this.alive || this.state === 'paused') return
    this.child!.kill('SIGSTOP')
    this.setState('paused')
  }

  resume(): void {
    if (!this.alive || this.state !== 'paused') return
    this.child!.kill('SIGCONT')
    this.setState('running')
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}
