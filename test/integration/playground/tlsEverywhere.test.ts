// "TLS everywhere" playgrounds, on the raftdeck engine and on real etcd 3.4 with the same generated
// certificates and flags: https client and peer URLs, client and peer certificates required,
// etcdctl and the etcd3 npm client working with the playground's client certificate, and lease
// keep-alives answered by every member, followers included (with https client URLs they used to go
// unanswered on a follower).
import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { Etcd3 } from 'etcd3'
import { afterAll, describe, expect, it } from 'vitest'
import type { PlaygroundSummary } from '../../../src-main/shared/api/playground'
import { harness, settled, type Harness } from './support'

const run = promisify(execFile)

async function etcdctl(pg: PlaygroundSummary, args: string[], withCert = true): Promise<{ code: number; out: string }> {
  const t = pg.tls!
  const flags = [`--endpoints=${pg.members.map((m) => m.clientUrl).join(',')}`, `--cacert=${t.caFile}`, ...(withCert ? [`--cert=${t.certFile}`, `--key=${t.keyFile}`] : []), '--command-timeout=5s']
  try {
    const { stdout } = await run('/usr/bin/etcdctl', [...flags, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 })
    return { code: 0, out: stdout }
  } catch (err) {
    const e = err as { code?: number; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, out: e.stderr ?? '' }
  }
}

for (const engine of ['raftdeck', 'etcd'] as const) {
  describe(`TLS everywhere playground (${engine} engine)`, () => {
    let h: Harness
    afterAll(async () => {
      await h?.close()
    })

    it('serves clients and peers over TLS with the generated certificates, and every member answers lease keep-alives', async () => {
      h = harness()
      const created = await h.service.create(`tls-${engine}`, 3, engine, { tls: true })
      const pg = await h.until(created.id, 'one leader', (s) => (engine === 'etcd' ? s.members.every((m) => m.raft) && s.members.filter((m) => m.raft!.role === 'leader').length === 1 : settled(s)), 60_000)
      expect(pg.tls).not.toBeNull()
      expect(pg.members.every((m) => m.clientUrl.startsWith('https://') && m.peerUrl.startsWith('https://'))).toBe(true)
      // The keys are secrets: owner-only files.
      expect(statSync(pg.tls!.keyFile).mode & 0o777).toBe(0o600)

      expect((await etcdctl(pg, ['put', '/tls/k', 'v'])).code).toBe(0)
      expect((await etcdctl(pg, ['get', '/tls/k', '--print-value-only'])).out.trim()).toBe('v')
      // --client-cert-auth: no client certificate, no service.
      expect((await etcdctl(pg, ['get', '/tls/k'], false)).code).not.toBe(0)

      // --peer-client-cert-auth: a TLS client without a peer certificate from the CA is refused.
      const peerPort = Number(new URL(pg.members[0]!.peerUrl).port)
      const refused = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: peerPort, ca: readFileSync(pg.tls!.caFile) }, () => {
          s.write(Buffer.from([2, 0, 0, 0, 0x7b, 0x7d]))
        })
        s.on('error', (e) => resolve(`error: ${e.message}`))
        s.on('close', () => resolve('closed'))
      })
      expect(refused).toMatch(/error|closed/)
      // Plain TCP bytes on the TLS peer port go nowhere either, and the member stays up.
      await new Promise<void>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: peerPort }, () => s.end(Buffer.from([2, 0, 0, 0, 0x7b, 0x7d])))
        s.on('close', () => resolve())
        s.on('error', () => resolve())
      })

      const credentials = { rootCertificate: readFileSync(pg.tls!.caFile), certChain: readFileSync(pg.tls!.certFile), privateKey: readFileSync(pg.tls!.keyFile) }
      // One client per member: keep-alives on the leader and on both followers.
      for (const m of pg.members) {
        const client = new Etcd3({ hosts: m.clientUrl, credentials })
        try {
          const lease = client.lease(5, { autoKeepAlive: false })
          await lease.grant()
          const res = await lease.keepaliveOnce()
          expect(Number(res.TTL)).toBe(5)
          await lease.put(`/tls/lease/${m.name}`).value('x')
          await lease.revoke()
          expect(await client.get(`/tls/lease/${m.name}`).string()).toBeNull()
        } finally {
          client.close()
        }
      }
      // Automatic keep-alives through a follower keep a 3 s lease alive well past its TTL.
      const follower = (await h.until(created.id, 'a known follower', (s) => s.members.some((m) => m.raft?.role === 'follower'))).members.find((m) => m.raft?.role === 'follower')!
      const client = new Etcd3({ hosts: follower.clientUrl, credentials })
      try {
        const lease = client.lease(3)
        let renewed = 0
        lease.on('keepaliveSucceeded', () => renewed++)
        const lost = new Promise<Error>((resolve) => lease.on('lost', resolve))
        await lease.put('/tls/kept').value('alive')
        const outcome = await Promise.race([lost, new Promise<'kept'>((resolve) => {
          const t = setInterval(() => {
            if (renewed >= 4) {
              clearInterval(t)
              resolve('kept')
            }
          }, 50)
        })])
        expect(outcome).toBe('kept')
        expect(await client.get('/tls/kept').string()).toBe('alive')
        await lease.revoke()
      } finally {
        client.close()
      }
    }, 120_000)
  })
}
