/**
 * `raftdeck member`: parse etcd's flags, start one member, and run until SIGTERM/SIGINT (or
 * until it is removed from the cluster). Resolves with the process exit code.
 */
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { warmCodecs } from '../etcdpb/load'
import { countBusyStretchesFromNow } from './api/debug'
import { ClientServer } from './api/grpcServer'
import { FlagError, parseMemberFlags } from './config'
import { toHex } from './ids'
import { EtcdServer, StartError } from './server/etcdServer'
import { startIdleYoungTrim } from './server/idleHeap'

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
  // grpc-js would print its own bind errors; ours are one line each.
  grpc.setLogVerbosity(grpc.logVerbosity.NONE)
  const server = new EtcdServer(cfg, {
    log,
    // A WAL or snapshot write failed: nothing more may be acknowledged, and the process must go.
    onFatal: (err) => {
      log(`fatal: ${err.stack ?? err.message}`)
      process.exit(1)
    },
  })
  const client = new ClientServer(cfg, server, log)
  try {
    // Fail on a taken port before anything is written to the data dir (as etcd, which listens first).
    for (const url of [...cfg.listenPeerUrls, ...cfg.listenClientUrls]) await checkPortFree(url)
    await server.start()
    // The debug stream's longest busy stretch describes the running member, not its boot.
    countBusyStretchesFromNow()
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
  // The first request of each kind should not pay for its message types' generated code in one go.
  void warmCodecs().catch((err: unknown) => log(`warming the protobuf codecs failed: ${err instanceof Error ? err.message : String(err)}`))
  const stopIdleTrim = startIdleYoungTrim(log)
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (code: number, why: string): void => {
      if (stopping) return
      stopping = true
      log(`stopping: ${why}`)
      stopIdleTrim()
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

function checkPortFree(raw: string): Promise<void> {
  const url = new URL(raw)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StartError(err.code === 'EADDRINUSE' ? `listen tcp ${host}:${url.port}: bind: address already in use` : `listen tcp ${host}:${url.port}: ${err.message}`)),
    )
    s.listen(Number(url.port), host, () => s.close(() => resolve()))
  })
}
