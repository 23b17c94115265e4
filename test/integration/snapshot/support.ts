/**
 * Helpers for the snapshot tests: the raftdeck command run to completion, etcdctl JSON reads in a
 * comparable form, and a member (ours or real etcd) started on a restored data dir. Processes and
 * temp dirs go through the member tests' registry, so cleanupAll() removes them even on failure.
 */
import { execFile } from 'node:child_process'
import { raftdeckArgv, repoRoot } from '../../support/raftdeck'
import { etcdctl, launch, waitHealthy, type MemberSpec, type Proc } from '../member/support/procs'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function raftdeck(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const [cmd, argv] = raftdeckArgv(args)
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

export async function ctl(endpoint: string | string[], args: string[]): Promise<string> {
  const r = await etcdctl(endpoint, args, { timeoutMs: 60_000 })
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return r.stdout
}

export interface KvJson {
  key: string
  value?: string
  create_revision: number
  mod_revision: number
  version: number
  lease?: number
}

/** `get … -w json`: the key/values (decoded) and the header revision. */
export async function getJson(endpoint: string, args: string[]): Promise<{ revision: number; kvs: Array<Record<string, unknown>> }> {
  const out = JSON.parse(await ctl(endpoint, ['get', ...args, '-w', 'json'])) as { header: { revision: number }; kvs?: KvJson[] }
  const kvs = (out.kvs ?? []).map((kv) => ({
    key: Buffer.from(kv.key, 'base64').toString('latin1'),
    value: Buffer.from(kv.value ?? '', 'base64').toString('latin1'),
    create: kv.create_revision,
    mod: kv.mod_revision,
    version: kv.version,
    lease: kv.lease ?? 0,
  }))
  return { revision: out.header.revision, kvs }
}

/** `endpoint status -w json` of one endpoint: leader, term, applied index. */
export async function endpointStatus(endpoint: string): Promise<{ leader: string; term: number; member: string }> {
  const [s] = JSON.parse(await ctl(endpoint, ['endpoint', 'status', '-w', 'json'])) as Array<{ Status: { leader: number | string; raftTerm: number; header: { member_id: number | string } } }>
  return { leader: String(s!.Status.leader), term: s!.Status.raftTerm, member: String(s!.Status.header.member_id) }
}

/** `endpoint hashkv` (etcd's HashKV over the whole history) of one endpoint. */
export async function hashKV(endpoint: string): Promise<number> {
  const [h] = JSON.parse(await ctl(endpoint, ['endpoint', 'hashkv', '-w', 'json'])) as Array<{ HashKV: { hash: number } }>
  return h!.HashKV.hash
}

/** Starts a member (raftdeck or real etcd) on a restored data dir, with the flags it was restored with. */
export async function startRestored(kind: 'raftdeck' | 'etcd', spec: MemberSpec, initialCluster: string, token: string): Promise<Proc> {
  const args = [
    `--name=${spec.name}`,
    `--data-dir=${spec.dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${spec.clientPort}`,
    `--advertise-client-urls=http://127.0.0.1:${spec.clientPort}`,
    `--listen-peer-urls=http://127.0.0.1:${spec.peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${spec.peerPort}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=${token}`,
    ...(kind === 'etcd' ? ['--log-level=warn', '--logger=zap'] : []),
  ]
  return launch(kind, spec, args)
}

export { waitHealthy }
