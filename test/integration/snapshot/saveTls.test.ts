/**
 * `raftdeck snapshot save` against real etcd with mutual TLS and auth: the client flags work like
 * etcdctl's, the file equals what etcdctl reports for it, and a failed save leaves no file.
 */
import { afterAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { makePki } from '../../support/certs'
import { enableAuth, startEtcdCluster, type EtcdCluster } from '../../support/etcd'
import { cleanupAll, tempDir } from '../member/support/procs'
import { raftdeck } from './support'

describe('snapshot save over TLS with auth', () => {
  let etcd: EtcdCluster | undefined
  afterAll(async () => {
    await etcd?.stop()
    await cleanupAll()
  })

  it('saves through client certificates and a user, and refuses without the CA', async () => {
    const dir = tempDir('rd-snap-tls-')
    const pki = makePki(path.join(dir, 'pki'))
    etcd = await startEtcdCluster({ size: 1, pki })
    await enableAuth(etcd)
    await etcd.etcdctl(['put', '/tls/k', 'v'], { user: 'root:rootpw' })
    const ep = etcd.endpoints[0]!
    const file = path.join(dir, 'tls.db')
    const tls = ['--cacert', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey]
    const ok = await raftdeck(['snapshot', 'save', file, '--endpoints', ep, ...tls, '--user', 'root:rootpw'])
    expect(ok, ok.stderr).toMatchObject({ code: 0, stdout: `Snapshot saved at ${file}\n` })
    const ours = JSON.parse((await raftdeck(['snapshot', 'status', file, '-w', 'json'])).stdout) as unknown
    expect(ours).toEqual(JSON.parse(await etcd.etcdctl(['snapshot', 'status', file, '-w', 'json'])))

    const noCa = await raftdeck(['snapshot', 'save', path.join(dir, 'no-ca.db'), '--endpoints', ep, '--cert', pki.clientCert, '--key', pki.clientKey, '--user', 'root:rootpw'], 60_000)
    expect(noCa.code).toBe(1)
    // (Node may print its own DEP0123 warning about IP server names first; the error is our last line.)
    expect(noCa.stderr.trim().split('\n').at(-1)).toMatch(/^raftdeck snapshot save: .*certificate/)
    expect(fs.readdirSync(dir).sort()).toEqual(['pki', 'tls.db'])
  })
})
