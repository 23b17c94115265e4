// The `etcd3` npm client (microsoft/etcd3), unmodified, against Raftdeck members: KV, transactions,
// watches, leases and locks on a 3-member playground, then TLS with client certificates and etcd auth.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Etcd3 } from 'etcd3'
import { afterAll, describe, expect, it } from 'vitest'
import { harness, settled, type Harness } from '../playground/support'
import { cleanupAll, etcdctl, launchTlsMember, tempDir } from './support/procs'
import { makePki } from '../../support/certs'

describe('etcd3 npm client against a 3-member playground', () => {
  let h: Harness
  let client: Etcd3
  afterAll(async () => {
    client?.close()
    await h?.close()
  })

  it('puts, gets, transacts, watches, leases and locks', async () => {
    h = harness()
    const pg = await h.service.create('etcd3', 3)
    await h.until(pg.id, 'one leader', settled)
    client = new Etcd3({ hosts: pg.members.map((m) => m.clientUrl) })

    await client.put('/etcd3/a').value('1')
    expect(await client.get('/etcd3/a').string()).toBe('1')
    await client.put('/etcd3/b').value('2')
    expect(await client.getAll().prefix('/etcd3/').strings()).toEqual({ '/etcd3/a': '1', '/etcd3/b': '2' })

    const won = await client.if('/etcd3/a', 'Value', '==', '1').then(client.put('/etcd3/a').value('10')).else(client.get('/etcd3/a')).commit()
    expect(won.succeeded).toBe(true)
    const lost = await client.if('/etcd3/a', 'Value', '==', '1').then(client.put('/etcd3/a').value('11')).commit()
    expect(lost.succeeded).toBe(false)
    expect(await client.get('/etcd3/a').string()).toBe('10')

    const watcher = await client.watch().prefix('/etcd3/w/').create()
    const seen: string[] = []
    const got = new Promise<void>((resolve) =>
      watcher.on('put', (kv) => {
        seen.push(`${kv.key.toString()}=${kv.value.toString()}`)
        if (seen.length === 2) resolve()
      }),
    )
    await client.put('/etcd3/w/x').value('1')
    await client.put('/etcd3/w/y').value('2')
    await got
    expect(seen).toEqual(['/etcd3/w/x=1', '/etcd3/w/y=2'])
    await watcher.cancel()

    const lease = client.lease(30)
    await lease.put('/etcd3/leased').value('tmp')
    expect(await client.get('/etcd3/leased').string()).toBe('tmp')
    await lease.revoke()
    expect(await client.get('/etcd3/leased').string()).toBeNull()

    const lock = client.lock('/etcd3/lock')
    await lock.acquire()
    await lock.release()

    await client.delete().prefix('/etcd3/')
    expect(await client.getAll().prefix('/etcd3/').count()).toBe(0)
  })
})

describe('etcd3 npm client with TLS and auth', () => {
  afterAll(cleanupAll)

  it('connects with client certificates, authenticates, and is refused with a wrong password', async () => {
    const certs = makePki(path.join(tempDir('rd-etcd3-certs-'), 'pki'))
    const { url, tlsArgs: tls } = await launchTlsMember(certs)
    for (const args of [['user', 'add', 'root:rootpw'], ['user', 'add', 'app:apppw'], ['role', 'add', 'app'], ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/app/'], ['user', 'grant-role', 'app', 'app'], ['auth', 'enable']]) {
      expect((await etcdctl(url, [...tls, '--user=root:rootpw', ...args])).code).toBe(0)
    }
    const credentials = { rootCertificate: readFileSync(certs.ca), certChain: readFileSync(certs.clientCert), privateKey: readFileSync(certs.clientKey) }

    const app = new Etcd3({ hosts: url, credentials, auth: { username: 'app', password: 'apppw' } })
    try {
      await app.put('/app/x').value('ok')
      expect(await app.get('/app/x').string()).toBe('ok')
      await expect(app.put('/other').value('no')).rejects.toThrow(/permission denied/)
    } finally {
      app.close()
    }

    const wrong = new Etcd3({ hosts: url, credentials, auth: { username: 'app', password: 'nope' } })
    try {
      await expect(wrong.get('/app/x').string()).rejects.toThrow(/authentication failed|invalid user ID or password/)
    } finally {
      wrong.close()
    }
  })
})
