// A "production" etcd 3.4 cluster for restore tests: three members with TLS for clients and peers and
// client-certificate auth, each run by the fake systemd under its own unit (etcd-m1…), with its data
// dir at <root>/host-<name>/var/lib/etcd as on a real host.

import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Pki } from '../../support/certs'
import { ETCD_BIN, ETCDCTL_BIN } from '../../support/etcd'
import type { FakeSystemd } from '../../support/fakeSystemd'
import { freePorts } from '../../support/ports'

const run = promisify(execFile)

/** etcdctl's JSON prints uint64 IDs as bare numbers; keep every digit by quoting long ones first. */
export const parseExact = <T>(json: string): T => JSON.parse(json.replace(/([:[,]\s*)(\d{16,})/g, '$1"$2"')) as T

export interface HostCluster {
  names: string[]
  units: string[]
  clientUrls: string[]
  peerUrls: string[]
  dataDirs: string[]
  token: string
  etcdctl(args: string[], endpoints?: string[]): Promise<string>
  tlsArgs: string[]
  waitHealthy(timeoutMs?: number): Promise<void>
}

export async function startHostCluster(root: string, pki: Pki, sys: FakeSystemd, size = 3): Promise<HostCluster> {
  const ports = await freePorts(size * 2)
  const names = Array.from({ length: size }, (_, i) => `m${i + 1}`)
  const clientUrls = names.map((_, i) => `https://127.0.0.1:${ports[i]}`)
  const peerUrls = names.map((_, i) => `https://127.0.0.1:${ports[size + i]}`)
  const dataDirs = names.map((n) => path.join(root, `host-${n}`, 'var', 'lib', 'etcd'))
  const token = 'old-cluster-token'
  const units = names.map((n) => `etcd-${n}`)
  const initialCluster = names.map((n, i) => `${n}=${peerUrls[i]}`).join(',')
  names.forEach((name, i) => {
    mkdirSync(path.dirname(dataDirs[i]!), { recursive: true })
    sys.define(units[i]!, [
      ETCD_BIN,
      `--name=${name}`,
      `--data-dir=${dataDirs[i]}`,
      `--listen-client-urls=${clientUrls[i]}`,
      `--advertise-client-urls=${clientUrls[i]}`,
      `--listen-peer-urls=${peerUrls[i]}`,
      `--initial-advertise-peer-urls=${peerUrls[i]}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${token}`,
      '--initial-cluster-state=new',
      '--log-level=warn',
      '--logger=zap',
      `--cert-file=${pki.serverCert}`,
      `--key-file=${pki.serverKey}`,
      `--trusted-ca-file=${pki.ca}`,
      '--client-cert-auth',
      `--peer-cert-file=${pki.serverCert}`,
      `--peer-key-file=${pki.serverKey}`,
      `--peer-trusted-ca-file=${pki.ca}`,
      '--peer-client-cert-auth',
    ])
  })
  const tlsArgs = [`--cacert=${pki.ca}`, `--cert=${pki.clientCert}`, `--key=${pki.clientKey}`]
  const etcdctl = async (args: string[], endpoints = clientUrls) =>
    (await run(ETCDCTL_BIN, [`--endpoints=${endpoints.join(',')}`, ...tlsArgs, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000, maxBuffer: 64 << 20 })).stdout
  const cluster: HostCluster = {
    names,
    units,
    clientUrls,
    peerUrls,
    dataDirs,
    token,
    etcdctl,
    tlsArgs,
    async waitHealthy(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      let last: unknown = null
      while (Date.now() < deadline) {
        try {
          const st = parseExact<{ Status: { leader: string } }[]>(await etcdctl(['endpoint', 'status', '-w', 'json']))
          if (st.length === size && st.every((s) => String(s.Status.leader) !== '0')) return
        } catch (err) {
          last = err
        }
        await new Promise((r) => setTimeout(r, 200))
      }
      throw new Error(`the cluster did not become healthy: ${String(last)}\n${units.map((u) => sys.log(u).slice(-2000)).join('\n')}`)
    },
  }
  for (const u of units) sys.systemctl('start', u)
  await cluster.waitHealthy()
  return cluster
}

/** Every key and value a member holds (its own data: serializable), as sorted [key, value, mod] triples. */
export async function dump(cluster: HostCluster | { etcdctl(args: string[], endpoints?: string[]): Promise<string> }, endpoint: string): Promise<string[][]> {
  const out = JSON.parse(await cluster.etcdctl(['get', '', '--from-key', '-w', 'json', '--consistency=s'], [endpoint])) as { kvs?: { key: string; value: string }[] }
  return (out.kvs ?? []).map((kv) => [Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value, 'base64').toString()])
}
