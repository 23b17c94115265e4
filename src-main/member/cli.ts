/**
 * `raftdeck member`: parse etcd's flags, start one member, and run until SIGTERM/SIGINT (or
 * until it is removed from the cluster). Resolves with the process exit code.
 */
import { ClientServer } from './api/grpcServer'
import { FlagError, parseMemberFlags } from './config'
import { toHex } from './ids'
import { EtcdServer, StartError } from './server/etcdServer'

export async function runMember(argv: string[]): Promise<number> {
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${line}\n`)
  }
  let cfg
  try {
    cfg = parseMemberFlags(argv)
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`raftdeck member: ${err.message}\n`)
      return 2
    }
    throw err
  }
  const server = new EtcdServer(cfg, log)
  const client = new ClientServer(server)
  try {
    await server.start()
    await client.listen()
  } catch (err) {
    await client.close().catch(() => {})
    await server.stop().catch(() => {})
    if (err instanceof StartError || err instanceof Error) {
      process.stderr.write(`raftdeck member: ${err.message}\n`)
      return 1
    }
    throw err
  }
  log(`member ${toHex(server.localId)} (${cfg.name}) of cluster ${toHex(server.clusterId)} serving clients on ${cfg.listenClientUrls.join(',')}, peers on ${cfg.listenPeerUrls.join(',')}`)
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (code: number, why: string): void => {
      if (stopping) return
      stopping = true
      log(`stopping: ${why}`)
      void (async () => {
        await client.close().catch(() => {})
        await server.stop().catch(() => {})
        process.off('SIGTERM', onTerm)
        process.off('SIGINT', onInt)
        resolve(code)
      })()
    }
    const onTerm = (): void => stop(0, 'received SIGTERM')
    const onInt = (): void => stop(0, 'received SIGINT')
    process.on('SIGTERM', onTerm)
    process.on('SIGINT', onInt)
    server.events.onRemoved = () => stop(0, 'removed from the cluster')
  })
}
