// The backup services for a command that runs once (`raftdeck backup …` from a shell, cron or a
// systemd timer): the same schedule store, connections (passwords sealed with the data folder's key)
// and manifests as the app, but playgrounds are only looked up, never started: a playground schedule
// needs its playground running in the app.

import { mkdirSync } from 'node:fs'
import { AppError, ErrorCode } from '../../shared'
import { findEtcdBinary } from '../app/etcdBinary'
import { ConnectionService } from '../connections/service'
import { ConnectionStore } from '../connections/store'
import { EtcdClient } from '../etcd/client'
import { loadTlsMaterial } from '../etcd/tlsMaterial'
import type { LogBus } from '../log'
import { packageMemberCommand } from '../playground/launcher'
import { clientUrl } from '../playground/flags'
import { loadManifests, playgroundDir } from '../playground/manifest'
import { pkiFiles } from '../playground/pki'
import { fileKeySecretBox } from '../secretBox'
import { TargetResolver } from '../targets'
import { BackupSchedules } from './schedules'

export interface HeadlessBackups {
  schedules: BackupSchedules
  connections: ConnectionService
  /** Playgrounds by name → id, for --playground NAME. */
  playgroundId(name: string): Promise<string>
  close(): void
}

export function headlessBackups(dataDir: string, log: LogBus, version: string): HeadlessBackups {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const secrets = fileKeySecretBox(dataDir)
  const connections = new ConnectionService(new ConnectionStore(dataDir, secrets), log.scoped('connections'), secrets, dataDir)
  const targets = new TargetResolver()
  targets.register('connection', {
    client: (id) => connections.client(id),
    policy: async (id) => {
      const c = await connections.get(id)
      return { name: c.name, endpoints: c.endpoints, readOnly: c.readOnly, production: c.production }
    },
  })
  const clients: EtcdClient[] = []
  const manifest = async (id: string) => {
    const m = (await loadManifests(dataDir)).manifests.find((x) => x.id === id)
    if (!m) throw new AppError(ErrorCode.NotFound, `No playground with id ${id} in ${dataDir}.`, 'Use the data folder of the app that owns the playground (--data-dir).')
    return m
  }
  targets.register('playground', {
    client: async (id) => {
      const m = await manifest(id)
      // A "TLS everywhere" playground is reached with its own CA and client certificate.
      const pki = m.tls ? pkiFiles(playgroundDir(dataDir, id), []) : null
      const tls = pki ? await loadTlsMaterial({ caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey }) : undefined
      const c = new EtcdClient({ endpoints: m.members.map((x) => clientUrl(x, m.tls)), ...(tls ? { tls } : {}) })
      clients.push(c)
      return c
    },
    policy: async (id) => {
      const m = await manifest(id)
      return { name: m.name, endpoints: m.members.map((x) => clientUrl(x, m.tls)), readOnly: false, production: false }
    },
  })
  const schedules = new BackupSchedules({ dataDir, targets, log: log.scoped('backups'), version, etcdBinary: findEtcdBinary(), raftdeck: () => packageMemberCommand() })
  return {
    schedules,
    connections,
    playgroundId: async (name) => {
      const m = (await loadManifests(dataDir)).manifests.find((x) => x.name.toLowerCase() === name.toLowerCase() || x.id === name)
      if (!m) throw new AppError(ErrorCode.NotFound, `No playground named "${name}" in ${dataDir}.`, 'Create it in the app first, or point --data-dir at the app’s data folder.')
      return m.id
    },
    close: () => {
      connections.dispose()
      for (const c of clients) c.close()
    },
  }
}
