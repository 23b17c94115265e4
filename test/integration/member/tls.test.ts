/** A member serving clients over TLS with client-certificate authentication, driven by etcdctl. */
import { afterAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { cleanupAll, etcdctl, launchTlsMember, tempDir } from './support/procs'
import { makePki } from '../../support/certs'

describe('client TLS', () => {
  afterAll(cleanupAll)

  it('serves etcdctl over https with --client-cert-auth and refuses clients without a certificate', async () => {
    const certs = makePki(path.join(tempDir('rd-certs-'), 'pki'))
    const { proc, url, tlsArgs: tls } = await launchTlsMember(certs)
    expect((await etcdctl(url, [...tls, 'put', 'secure', 'yes'])).code).toBe(0)
    expect((await etcdctl(url, [...tls, 'get', 'secure'])).stdout).toBe('secure\nyes\n')
    expect((await etcdctl(url, [...tls, 'endpoint', 'status'])).code).toBe(0)
    const noCert = await etcdctl(url, [`--cacert=${certs.ca}`, 'get', 'secure', '--command-timeout=2s'], { timeoutMs: 10_000 })
    expect(noCert.code).not.toBe(0)
    const plain = await etcdctl(url.replace('https://', 'http://'), ['get', 'secure', '--command-timeout=2s'], { timeoutMs: 10_000 })
    expect(plain.code).not.toBe(0)
    expect(proc.proc.exitCode).toBeNull()
  })
})
