// The symptom of issue 13: with https client URLs (server TLS only, no client certificates), a lease
// keep-alive sent to a follower was never answered; on the leader it was, and plain http worked.
// The follower relayed it to the leader's client URL trusting only --trusted-ca-file (none here).
// The etcd3 npm client's keep-alives through every member of a 3-member cluster, raftdeck and real
// etcd 3.4 alike.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Etcd3 } from 'etcd3'
import { afterAll, describe, expect, it } from 'vitest'
import { makePki } from '../../support/certs'
import { cleanupAll, etcdctl, freePort, launch, tempDir, waitFor } from './support/procs'

afterAll(cleanupAll)

for (const kind of ['raftdeck', 'etcd'] as const) {
  describe(`lease keep-alives with https client URLs (${kind})`, () => {
    it('every member answers, followers included', async () => {
      const pki = makePki(path.join(tempDir('rd-katls-'), 'pki'))
      const specs = []
      for (let i = 1; i <= 3; i++) specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(tempDir(), `m${i}`) })
      const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',')
      const urls = specs.map((s) => `https://127.0.0.1:${s.clientPort}`)
      specs.forEach((s, i) =>
        launch(kind, s, [
          `--name=${s.name}`,
          `--data-dir=${s.dataDir}`,
          `--listen-client-urls=${urls[i]}`,
          `--advertise-client-urls=${urls[i]}`,
          `--listen-peer-urls=http://127.0.0.1:${s.peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${s.peerPort}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-token=katls',
          `--cert-file=${pki.serverCert}`,
          `--key-file=${pki.serverKey}`,
        ]),
      )
      for (const u of urls) await waitFor(`${u} to serve`, async () => (await etcdctl(u, [`--cacert=${pki.ca}`, 'put', 'ready', 'yes', '--command-timeout=2s'])).code === 0, 60_000, 300)

      for (const host of urls) {
        const client = new Etcd3({ hosts: host, credentials: { rootCertificate: readFileSync(pki.ca) } })
        try {
          const lease = client.lease(10, { autoKeepAlive: false })
          await lease.grant()
          const answer = await Promise.race([lease.keepaliveOnce(), new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 8000))])
          expect(answer, `keep-alive through ${host}`).not.toBe('no answer')
          expect(Number((answer as { TTL: string }).TTL)).toBe(10)
          await lease.revoke()
        } finally {
          client.close()
        }
      }
    }, 120_000)
  })
}
