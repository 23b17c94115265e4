// Shared setup for the key editor's integration tests: a real etcd 3.4 on loopback, the services as the
// app builds them, and saved connections (normal, read-only, production) pointing at it.

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createServices, type Services, type StreamSink } from '../../../src-main/services'
import { EtcdClient } from '../../../src-main/services/etcd/client'
import type { Target } from '../../../src-main/shared'
import { startEtcdCluster, type EtcdCluster } from '../../support/etcd'

export interface KeysHarness {
  cluster: EtcdCluster
  services: Services
  client: EtcdClient
  target: Target
  readOnly: Target
  production: Target
  stop(): Promise<void>
}

export async function startKeysHarness(opts: { size?: number } = {}): Promise<KeysHarness> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-keys-'))
  let cluster: EtcdCluster | undefined
  let services: Services | undefined
  let client: EtcdClient | undefined
  const stop = async () => {
    client?.close()
    await services?.dispose()
    await cluster?.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
  try {
    cluster = await startEtcdCluster({ size: opts.size ?? 1 })
    services = createServices({ dataDir: path.join(tmp, 'data'), shell: 'browser', version: 'test' })
    client = new EtcdClient({ endpoints: cluster.endpoints, requestTimeoutMs: 60_000 })
    const save = async (name: string, extra: { readOnly?: boolean; production?: boolean } = {}): Promise<Target> => {
      const saved = await services!.handlers['connections/save']({ input: { name, endpoints: cluster!.endpoints, ...extra } })
      return { kind: 'connection', id: saved.id }
    }
    return { cluster, services, client, target: await save('keys-test'), readOnly: await save('keys-readonly', { readOnly: true }), production: await save('keys-prod', { production: true }), stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export const b64 = (s: string | Buffer): string => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8')).toString('base64')

/** A stream sink that records events and lets a test wait for one that matches. */
export function recordingSink<E>(): StreamSink<E> & { events: E[]; ended: unknown[]; waitFor(pred: (e: E) => boolean, timeoutMs?: number): Promise<E> } {
  const events: E[] = []
  const ended: unknown[] = []
  const waiters: { pred: (e: E) => boolean; resolve: (e: E) => void }[] = []
  return {
    events,
    ended,
    emit(e) {
      events.push(e)
      for (const w of [...waiters]) if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(e)
      }
    },
    end(err) {
      ended.push(err ?? null)
    },
    waitFor(pred, timeoutMs = 10_000) {
      const hit = events.find(pred)
      if (hit) return Promise.resolve(hit)
      return new Promise<E>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events).slice(0, 500)}`)), timeoutMs)
        waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) })
      })
    },
  }
}
