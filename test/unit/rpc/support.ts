import type { HostMessage } from '../../../src-main/shared'
import { createServices, LogBus, type Services } from '../../../src-main/services'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Real services on a throwaway data folder. */
export function realServices(): { services: Services; log: LogBus; cleanup: () => Promise<void> } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-unit-'))
  const log = new LogBus()
  const services = createServices({ dataDir, shell: 'browser', version: '0.0.0-test', log })
  return {
    services,
    log,
    cleanup: async () => {
      await services.dispose()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Collects host messages and lets a test wait for the one it expects. */
export class Inbox {
  readonly messages: HostMessage[] = []
  private waiters: { pred: (m: HostMessage) => boolean; resolve: (m: HostMessage) => void }[] = []

  push = (m: HostMessage): void => {
    this.messages.push(m)
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(m)) return true
      w.resolve(m)
      return false
    })
  }

  next(pred: (m: HostMessage) => boolean, timeoutMs = 5000): Promise<HostMessage> {
    const found = this.messages.find(pred)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching host message arrived')), timeoutMs)
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
      })
    })
  }
}
