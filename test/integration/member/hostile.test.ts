// What took members down before, against real member processes: six bytes on a peer port, one
// RoleGrantPermission without its permission (as a message and as raw bytes), and a WAL with a
// flipped bit in its last segment, which must stop the start with a clear message, not be cut.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { afterAll, describe, expect, it } from 'vitest'
import { etcdGrpcObject } from '../../../src-main/etcdpb/load'
import { decodeRecord, RecordType } from '../../../src-main/member/wal/record'
import { cleanupAll, etcdctl, freePort, launch, memberArgs, startCluster, stopProc, tempDir, waitFor, waitHealthy } from './support/procs'

afterAll(cleanupAll)

type AuthClient = grpc.Client & { RoleGrantPermission(req: object, cb: (err: grpc.ServiceError | null) => void): void; RoleAdd(req: object, cb: (err: grpc.ServiceError | null) => void): void }

describe('inputs that used to take members down', () => {
  it('six bytes on the peer port, and RoleGrantPermission without perm (message or raw bytes), leave every member running', async () => {
    const c = await startCluster('raftdeck', 3)
    const [m1] = c.members
    const peerPort = c.specs[0]!.peerPort
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: peerPort }, () => s.end(Buffer.from([2, 0, 0, 0, 0x7b, 0x7d])))
      s.on('close', () => resolve())
      s.on('error', reject)
    })
    await waitFor('the drop to be logged', async () => m1!.log.join('').includes('bad hello (from is not a decimal ID)'), 10_000)

    const pkg = etcdGrpcObject().etcdserverpb as grpc.GrpcObject
    const auth = new (pkg.Auth as unknown as new (a: string, c: grpc.ChannelCredentials) => AuthClient)(c.endpoints[1]!, grpc.credentials.createInsecure())
    try {
      await new Promise<void>((resolve, reject) => auth.RoleAdd({ name: 'r' }, (err) => (err ? reject(err) : resolve())))
      const refused = await new Promise<grpc.ServiceError | null>((resolve) => auth.RoleGrantPermission({ name: 'r' }, resolve))
      expect(refused?.code).toBe(grpc.status.INVALID_ARGUMENT)
      expect(refused?.details).toBe('etcdserver: permission not given')
      // The same request as bytes: a name field and nothing else.
      const raw = await new Promise<grpc.ServiceError | null>((resolve) =>
        auth.makeUnaryRequest('/etcdserverpb.Auth/RoleGrantPermission', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0x01, 0x72]), (err) => resolve(err)),
      )
      expect(raw?.details).toBe('etcdserver: permission not given')
    } finally {
      auth.close()
    }
    for (const m of c.members) {
      expect(m.proc.exitCode).toBeNull()
      await waitHealthy(m)
    }
    expect((await etcdctl(c.endpoints, ['role', 'get', 'r'])).stdout).toMatch(/Role r/)
  })

  it('refuses to start on a WAL whose last segment holds a corrupt record, with the place and a recovery hint', async () => {
    const spec = { name: 'm1', clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(tempDir(), 'm1') }
    const args = memberArgs(spec, `m1=http://127.0.0.1:${spec.peerPort}`)
    const first = launch('raftdeck', spec, args)
    await waitHealthy(first)
    for (let i = 0; i < 5; i++) expect((await etcdctl(first.endpoint, ['put', `k${i}`, `v${i}`])).code).toBe(0)
    expect(await stopProc(first)).toBe(0)

    // Flip one bit inside the payload of an entry record that has records after it.
    const walDir = path.join(spec.dataDir, 'member', 'wal')
    const segment = path.join(walDir, fs.readdirSync(walDir).filter((f) => f.endsWith('.wal')).sort().pop()!)
    const buf = fs.readFileSync(segment)
    const entries: Array<{ start: number; end: number }> = []
    for (let off = 0; ; ) {
      const r = decodeRecord(buf, off)
      if (!r.ok) break
      if (r.record.type === RecordType.Entry) entries.push({ start: off, end: r.record.end })
      off = r.record.end
    }
    const victim = entries[entries.length - 3]!
    buf[victim.end - 3]! ^= 0x10
    fs.writeFileSync(segment, buf)

    const second = launch('raftdeck', spec, args)
    expect(await second.exited).toBe(1)
    const out = second.log.join('')
    expect(out).toContain(`wal: corrupt record at ${path.basename(segment)} offset ${victim.start}`)
    expect(out).toMatch(/refusing to start\. To recover, remove this member from the cluster \(etcdctl member remove <id>\)/)
    // Nothing was cut: the file is as we left it.
    expect(Buffer.compare(fs.readFileSync(segment), buf)).toBe(0)
  })
})
