/** A minimal etcd KV client over grpc-js with our protos, for load and crash tests. */
import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../../../src-main/etcdpb/load'

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void
interface KVClient extends grpc.Client {
  Put(req: object, opts: grpc.CallOptions, cb: Callback<{ header: { revision: string } }>): void
  Range(req: object, opts: grpc.CallOptions, cb: Callback<{ header: { revision: string }; kvs: Array<{ key: Buffer; value: Buffer; mod_revision: string }>; count: string }>): void
  Txn(req: object, opts: grpc.CallOptions, cb: Callback<{ header: { revision: string }; succeeded: boolean }>): void
}

export class KV {
  private readonly client: KVClient

  constructor(readonly endpoint: string) {
    const pkg = etcdGrpcObject().etcdserverpb as grpc.GrpcObject
    const Ctor = pkg.KV as unknown as new (addr: string, creds: grpc.ChannelCredentials) => KVClient
    this.client = new Ctor(endpoint, grpc.credentials.createInsecure())
  }

  put(key: string, value: string, timeoutMs = 5000): Promise<number> {
    return new Promise((resolve, reject) =>
      this.client.Put({ key: Buffer.from(key), value: Buffer.from(value) }, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(Number(res.header.revision)))),
    )
  }

  get(key: string, opts: { prefix?: boolean; serializable?: boolean; timeoutMs?: number } = {}): Promise<{ revision: number; kvs: Array<{ key: string; value: string; mod: number }> }> {
    const rangeEnd = opts.prefix ? prefixEnd(key) : Buffer.alloc(0)
    return new Promise((resolve, reject) =>
      this.client.Range({ key: Buffer.from(key), range_end: rangeEnd, serializable: opts.serializable ?? false }, { deadline: Date.now() + (opts.timeoutMs ?? 5000) }, (err, res) =>
        err ? reject(err) : resolve({ revision: Number(res.header.revision), kvs: res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), mod: Number(kv.mod_revision) })) }),
      ),
    )
  }

  /** Compare-and-set: put `to` if the value is `from` (null: the key does not exist). */
  cas(key: string, from: string | null, to: string, timeoutMs = 5000): Promise<boolean> {
    const compare =
      from === null
        ? { result: 'EQUAL', target: 'CREATE', key: Buffer.from(key), create_revision: '0' }
        : { result: 'EQUAL', target: 'VALUE', key: Buffer.from(key), value: Buffer.from(from) }
    const req = { compare: [compare], success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(to) } }], failure: [] }
    return new Promise((resolve, reject) => this.client.Txn(req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res.succeeded))))
  }

  close(): void {
    this.client.close()
  }
}

export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix)
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1))
      out[i]!++
      return out
    }
  }
  return Buffer.from([0])
}
