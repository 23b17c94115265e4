// The connection doctor and the connection service against a real 3-member etcd 3.4 with TLS for
// clients and peers, client-certificate auth and etcd auth, all generated and started by this test.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import type { ConnectionInput, DoctorReport } from '../../../src-main/shared'
import { makePki, type Pki } from '../../support/certs'
import { enableAuth, startEtcdCluster, type EtcdCluster } from '../../support/etcd'
import { freePorts } from '../../support/ports'
import { raftdeckArgv } from '../../support/raftdeck'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

let pki: Pki
let cluster: EtcdCluster
let services: Services
let dataDir: string

const good = (over: Partial<ConnectionInput> = {}): ConnectionInput => ({
  name: 'tls',
  endpoints: cluster.endpoints,
  tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey },
  username: 'root',
  password: 'rootpw',
  ...over,
})

async function test(input: ConnectionInput): Promise<DoctorReport> {
  return services.handlers['connections/test']({ input })
}

beforeAll(async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-doctor-'))
  pki = makePki(path.join(tmp, 'pki'))
  dataDir = path.join(tmp, 'data')
  cluster = await startEtcdCluster({ pki })
  await enableAuth(cluster)
  await cluster.etcdctl(['put', '/app/greeting', 'hello'], { user: 'root:rootpw' })
  services = createServices({ dataDir, shell: 'browser', version: 'test' })
  return async () => {
    await services.dispose()
    await cluster.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
})

describe('connection doctor against TLS etcd 3.4 with auth', () => {
  it('passes every endpoint with the right material, reporting version and latency', async () => {
    const r = await test(good())
    expect(r.ok).toBe(true)
    expect(r.verdicts.map((v) => v.status)).toEqual(['ok', 'ok', 'ok'])
    for (const v of r.verdicts) {
      expect(v.details.version).toBe('3.4.23')
      expect(v.steps.map((s) => s.name)).toEqual(['dns', 'tcp', 'tls', 'etcd', 'auth'])
      expect(v.details.serverCertificate?.names).toEqual(['etcd.test.local', '127.0.0.1'])
    }
  })

  it('accepts PKCS#1 RSA keys and EC keys', async () => {
    expect((await test(good({ tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKeyPkcs1 } }))).ok).toBe(true)
    expect((await test(good({ tls: { caFile: pki.ca, certFile: pki.ecClientCert, keyFile: pki.ecClientKey } }))).ok).toBe(true)
  })

  it('names an unknown certificate authority and who issued the server certificate', async () => {
    const r = await test(good({ tls: { caFile: pki.otherCa, certFile: pki.clientCert, keyFile: pki.clientKey } }))
    expect(r.ok).toBe(false)
    const v = r.verdicts[0]!
    expect(v.problem).toBe('unknown-authority')
    expect(v.message).toContain('raftdeck-test-ca')
    expect(v.message).toContain('some-other-ca')
  })

  it('explains a name mismatch with the names the certificate does have, and the override fixes it', async () => {
    const viaLocalhost = cluster.endpoints.map((e) => e.replace('127.0.0.1', 'localhost'))
    const r = await test(good({ endpoints: viaLocalhost }))
    expect(r.verdicts[0]!.problem).toBe('name-mismatch')
    expect(r.verdicts[0]!.message).toContain('etcd.test.local, 127.0.0.1')
    expect(r.verdicts[0]!.message).toContain('not for localhost')
    const fixed = await test(good({ endpoints: viaLocalhost, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey, serverName: 'etcd.test.local' } }))
    expect(fixed.verdicts.map((v) => v.status)).toEqual(['ok', 'ok', 'ok'])
  })

  it('says a client certificate is required when none is given', async () => {
    const r = await test(good({ tls: { caFile: pki.ca } }))
    expect(r.verdicts[0]!.problem).toBe('client-cert-required')
  })

  it('says the server refuses a client certificate from another CA', async () => {
    const r = await test(good({ tls: { caFile: pki.ca, certFile: pki.strangerClientCert, keyFile: pki.strangerClientKey } }))
    expect(r.verdicts[0]!.problem).toBe('client-cert-rejected')
  })

  it('catches a key that does not match the certificate, and an expired client certificate, before any network call', async () => {
    const mismatch = await test(good({ tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.unrelatedKey } }))
    expect(mismatch.verdicts.map((v) => v.problem)).toEqual(['key-mismatch', 'key-mismatch', 'key-mismatch'])
    expect(mismatch.verdicts[0]!.steps.map((s) => s.name)).toEqual(['files'])
    const expired = await test(good({ tls: { caFile: pki.ca, certFile: pki.expiredClientCert, keyFile: pki.expiredClientKey } }))
    expect(expired.verdicts[0]!.problem).toBe('client-cert-expired')
    expect(expired.verdicts[0]!.message).toContain('2021-01-01')
    const swapped = await test(good({ tls: { caFile: pki.ca, certFile: pki.clientKey, keyFile: pki.clientCert } }))
    expect(swapped.verdicts[0]!.problem).toBe('bad-certificate')
    expect(swapped.verdicts[0]!.message).toContain('files may be swapped')
  })

  it('tells a wrong password from a user without permission', async () => {
    const wrong = await test(good({ password: 'not-the-password' }))
    expect(wrong.verdicts[0]!.problem).toBe('auth-failed')
    expect(wrong.ok).toBe(false)
    const alice = await test(good({ username: 'alice', password: 'alicepw' }))
    expect(alice.verdicts[0]!.problem).toBe('permission-denied')
    expect(alice.verdicts[0]!.status).toBe('warn')
    expect(alice.ok).toBe(true)
  })

  it('says when an http:// endpoint is really TLS, and classifies refused ports and unknown names', async () => {
    const [closed] = await freePorts(1)
    const r = await test(good({ endpoints: [cluster.endpoints[0]!.replace('https://', 'http://'), `http://127.0.0.1:${closed}`, 'https://no-such-host.invalid:2379'] }))
    expect(r.verdicts.map((v) => v.problem)).toEqual(['tls-expected', 'connection-refused', 'dns'])
  })

  it('is also a command: raftdeck doctor prints one verdict per endpoint and exits 1 on failure', async () => {
    const [cmd, argv] = raftdeckArgv(['doctor', `--endpoints=${cluster.endpoints.join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.clientCert}`, `--key=${pki.clientKey}`, '--user=root:rootpw', '-w', 'json'])
    const ok = await run(cmd, argv)
    const report = JSON.parse(ok.stdout) as DoctorReport
    expect(report.verdicts.map((v) => v.status)).toEqual(['ok', 'ok', 'ok'])

    const [cmd2, argv2] = raftdeckArgv(['doctor', `--endpoints=${cluster.endpoints[0]}`, `--cacert=${pki.otherCa}`, `--cert=${pki.clientCert}`, `--key=${pki.clientKey}`])
    const failed = await run(cmd2, argv2).then(
      () => null,
      (e: { code: number; stdout: string }) => e,
    )
    expect(failed?.code).toBe(1)
    expect(failed?.stdout).toMatch(/^FAIL https:\/\/127\.0\.0\.1:\d+ {2}The server's certificate was issued by raftdeck-test-ca/)
    expect(failed?.stdout).toContain('problem: unknown-authority')
  })
})

describe('an expired server certificate', () => {
  it('is reported with its expiry date', async () => {
    const expired = await startEtcdCluster({ pki, size: 1, serverCert: { cert: pki.expiredServerCert, key: pki.expiredServerKey } })
    try {
      const r = await test(good({ endpoints: expired.endpoints, username: undefined, password: undefined }))
      expect(r.verdicts[0]!.problem).toBe('server-cert-expired')
      expect(r.verdicts[0]!.message).toContain('2021-01-01')
    } finally {
      await expired.stop()
    }
  })
})
