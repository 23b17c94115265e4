import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LogBus } from '../../../src-main/services'
import { findEtcdBinary } from '../../../src-main/services/app/etcdBinary'
import { createLauncher, packageMemberCommand } from '../../../src-main/services/playground/launcher'
import { PlaygroundService } from '../../../src-main/services/playground/service'
import type { PlaygroundMember, PlaygroundSummary } from '../../../src-main/shared/api/playground'

export interface Harness {
  /** Replaceable, to simulate an app restart on the same data folder. */
  service: PlaygroundService
  log: LogBus
  dataDir: string
  /** Resolves with the first state that satisfies `pred`; rejects with the last state seen on timeout. */
  until(id: string, what: string, pred: (s: PlaygroundSummary) => boolean, timeoutMs?: number): Promise<PlaygroundSummary>
  close(): Promise<void>
}

export function harness(): Harness {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-pg-'))
  const log = new LogBus(20_000)
  const service = new PlaygroundService({ dataDir, launcher: createLauncher(packageMemberCommand(), findEtcdBinary()), log })
  const h: Harness = {
    service,
    log,
    dataDir,
    until(id, what, pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let last: PlaygroundSummary | null = null
        const timer = setTimeout(() => {
          stop()
          reject(new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(last?.members.map(brief))}`))
        }, timeoutMs)
        const stop = h.service.subscribe(id, false, (ev) => {
          last = ev.state
          if (pred(ev.state)) {
            clearTimeout(timer)
            // The first event is delivered synchronously, before `stop` exists.
            queueMicrotask(() => stop())
            resolve(ev.state)
          }
        })
      })
    },
    async close() {
      await h.service.dispose()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return h
}

export const brief = (m: PlaygroundMember) => ({ n: m.name, p: m.process, r: m.raft?.role, t: m.raft?.term, l: m.raft?.leader, c: m.raft?.commit, a: m.raft?.applied })

export const leaders = (s: PlaygroundSummary) => s.members.filter((m) => m.process === 'running' && m.raft?.role === 'leader')

/** Exactly one leader, and every running voter agrees on who it is and on the term. */
export function settled(s: PlaygroundSummary): boolean {
  const ls = leaders(s)
  if (ls.length !== 1) return false
  const leader = ls[0]!
  return s.members.filter((m) => m.process === 'running').every((m) => m.raft && m.raft.leader === leader.id && m.raft.term === leader.raft!.term)
}
