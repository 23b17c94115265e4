// `raftdeck playground`: a local cluster without the UI. Prints the endpoints and an etcdctl line, then
// reports leader changes and member crashes until Ctrl-C, which stops every member.

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findEtcdBinary } from '../services/app/etcdBinary'
import { createLauncher, packageMemberCommand } from '../services/playground/launcher'
import { PlaygroundService } from '../services/playground/service'
import { AppError } from '../shared'
import { stderrLog, UsageError, type Command } from './command'

export const playgroundCommand: Command = {
  name: 'playground',
  summary: 'Run a local multi-member cluster headless and print its endpoints; Ctrl-C stops it.',
  usage: 'raftdeck playground [--members 3] [--engine raftdeck|etcd] [--tls] [--data-dir DIR]',
  options: {
    members: { type: 'string', value: 'N', default: '3', description: 'Number of members, 1 to 7.' },
    engine: { type: 'string', value: 'ENGINE', default: 'raftdeck', description: "raftdeck (this app's TypeScript member) or etcd (a real etcd binary)." },
    tls: { type: 'boolean', description: 'TLS everywhere: https client and peer URLs with certificates from a CA made for the playground.' },
    name: { type: 'string', value: 'NAME', default: 'cli', description: 'Playground name.' },
    'data-dir': { type: 'string', value: 'DIR', description: 'Keep the playground here (default: a temporary folder removed on exit).' },
    verbose: { type: 'boolean', short: 'v', description: 'Print the members’ own logs too.' },
  },
  async run(values) {
    const members = Number(values.members)
    if (!Number.isInteger(members) || members < 1 || members > 7) throw new UsageError(`--members must be a whole number from 1 to 7, got '${String(values.members)}'`)
    const engine = String(values.engine)
    if (engine !== 'raftdeck' && engine !== 'etcd') throw new UsageError(`--engine must be raftdeck or etcd, got '${engine}'`)
    const keep = typeof values['data-dir'] === 'string'
    const dataDir = keep ? path.resolve(String(values['data-dir'])) : mkdtempSync(path.join(os.tmpdir(), 'raftdeck-playground-'))
    const log = stderrLog(Boolean(values.verbose))
    const service = new PlaygroundService({ dataDir, launcher: createLauncher(packageMemberCommand(), findEtcdBinary()), log })
    let cleanup = async () => {
      await service.dispose()
      if (!keep) rmSync(dataDir, { recursive: true, force: true })
    }
    try {
      const existing = (await service.list()).find((p) => p.name === values.name)
      const pg = existing ? await service.start(existing.id) : await service.create(String(values.name), members, engine, { tls: Boolean(values.tls) })
      process.stdout.write(
        [
          `Playground "${pg.name}" is running (${pg.members.length} members, ${pg.engine} engine).`,
          ...pg.members.map((m) => `  ${m.name}  client ${m.clientUrl}  peer ${m.peerUrl}`),
          '',
          `  etcdctl --endpoints=${pg.endpoints}${pg.tls ? ` --cacert=${pg.tls.caFile} --cert=${pg.tls.certFile} --key=${pg.tls.keyFile}` : ''} endpoint status -w table`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      )
      let leader: string | null = null
      const stopWatch = service.subscribe(pg.id, false, (ev) => {
        const l = ev.state.members.find((m) => m.raft?.role === 'leader')
        const name = l ? `${l.name} (term ${l.raft!.term})` : null
        if (name !== leader) {
          process.stdout.write(name ? `leader: ${name}\n` : 'no leader\n')
          leader = name
        }
      })
      const prev = cleanup
      cleanup = async () => {
        stopWatch()
        await prev()
      }
    } catch (err) {
      await cleanup()
      if (err instanceof AppError) {
        process.stderr.write(`raftdeck playground: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`)
        return 1
      }
      throw err
    }
    return new Promise<number>((resolve) => {
      const stop = () => {
        process.stdout.write('stopping…\n')
        void cleanup().then(() => resolve(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
  },
}
