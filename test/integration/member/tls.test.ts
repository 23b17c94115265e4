/** A member serving clients over TLS with client-certificate authentication, driven by etcdctl. */
import { afterAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { cleanupAll, etcdctl, freePort, launch, tempDir, waitFor } from './support/procs'
import { makeCerts } from './support/certs'

describe('client TLS', () => {
  afterAll(cleanupAll)

  it('serves etcdctl over https with --client-cert-auth and refuses clients without a certificate', async () => {
    const certs = makeCerts(tempDir('rd-certs-'))
    const clientPort = await freePort()
    const peerPort = await freePort()
    const spec = { name: 'm1', clientPort, peerPort, dataDir: path.join(tempDir(), 'm1') }
    const url = `https://127.0.0.1:${clientPort}`
    const p = launch('raftdeck', spec, [
      '--name', 'm1',
      '--data-dir', spec.dataDir,
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `m1=http://127.0.0.1:${peerPort}`,
      '--cert-file', certs.serverCert,
      '--key-file', certs.serverKey,
      '--trusted-ca-file', certs.ca,
      '--client-cert-auth',
    ])
    const tls = [`--cacert=${certs.ca}`, `--cert=${certs.clientCert}`, `--key=${certs.clientKey}`]
    await waitFor('TLS member to serve', async () => (await etcdctl(url, [...tls, 'put', 'secure', 'yes', '--command-timeout=2s'])).code === 0, 30_000, 200)
    expect((await etcdctl(url, [...tls, 'get', 'secure'])).stdout).toBe('secure\nyes\n')
    expect((await etcdctl(url, [...tls, 'endpoint', 'status'])).code).toBe(0)
    const noCert = await etcdctl(url, [`--cacert=${certs.ca}`, 'get', 'secure', '--command-timeout=2s'], { timeoutMs: 10_000 })
    expect(noCert.code).not.toBe(0)
    const plain = await etcdctl(`http://127.0.0.1:${clientPort}`, ['get', 'secure', '--command-timeout=2s'], { timeoutMs: 10_000 })
    expect(plain.code).not.toBe(0)
    expect(p.proc.exitCode).toBeNull()
  })
})
