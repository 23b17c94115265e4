// The build ships the etcd protos pre-parsed as JSON (src-main/etcdpb/descriptor.ts), and load.ts builds
// grpc-js's service definitions from them itself instead of through @grpc/proto-loader (which also
// encodes reflection descriptors nobody here reads, half of the load time). Both must give exactly what
// proto-loader gives from the .proto files, or the app and the member would speak a different protocol
// than before, or built than from source.
import * as protoLoader from '@grpc/proto-loader'
import type * as grpc from '@grpc/grpc-js'
import { describe, expect, it, vi } from 'vitest'
import { PROTO_FILES, protoDescriptorJson } from '../../../src-main/etcdpb/descriptor'
import { etcdPackageDefinition, protoDir } from '../../../src-main/etcdpb/load'

// The options the app passed to proto-loader until it built the definitions itself.
const loaderOptions: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] }

describe('the etcd service definitions', () => {
  const fromProto = protoLoader.loadSync(PROTO_FILES, loaderOptions)
  // Through JSON text, as the build writes it.
  const fromJson = protoLoader.fromJSON(JSON.parse(JSON.stringify(protoDescriptorJson(protoDir))) as Record<string, unknown>, loaderOptions)
  const ours = etcdPackageDefinition()
  const services = (d: protoLoader.PackageDefinition) => Object.keys(d).filter((n) => !('format' in d[n]!)).sort()

  it('the pre-parsed JSON defines the same messages, enums and services as the .proto text', () => {
    expect(Object.keys(fromJson).sort()).toEqual(Object.keys(fromProto).sort())
    for (const name of Object.keys(fromProto)) {
      const a = fromProto[name]!
      const b = fromJson[name]!
      if ('format' in a) expect('format' in b && b.type, name).toEqual(a.type)
    }
  })

  it('have every service and method proto-loader has, with the same paths and streaming flags', () => {
    expect(services(fromProto)).toContain('etcdserverpb.KV')
    expect(Object.keys(ours).sort()).toEqual(services(fromProto))
    for (const name of services(fromProto)) {
      const a = fromProto[name] as protoLoader.ServiceDefinition
      const b = ours[name]!
      expect(Object.keys(b), name).toEqual(Object.keys(a))
      for (const m of Object.keys(a)) {
        const x = a[m]!
        const y = b[m]!
        expect({ path: y.path, req: y.requestStream, res: y.responseStream }, `${name}/${m}`).toEqual({ path: x.path, req: x.requestStream, res: x.responseStream })
      }
    }
  })

  it('encode and decode alike, with the same options (names as in the proto, 64-bit as strings, enums as names)', () => {
    const txn = (d: protoLoader.PackageDefinition | Record<string, grpc.ServiceDefinition>) => (d['etcdserverpb.KV'] as grpc.ServiceDefinition).Txn!
    const req = {
      compare: [{ result: 'NOT_EQUAL', target: 'MOD', key: Buffer.from('/registry/pods/a'), mod_revision: '9223372036854775807' }],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '7587862115445011000', prev_kv: true } }],
      failure: [{ request_range: { key: Buffer.from('k'), range_end: Buffer.from([0]), sort_order: 'DESCEND', limit: '10' } }],
    }
    const bytes = txn(fromProto).requestSerialize(req)
    for (const d of [fromJson, ours]) {
      const encoded = txn(d).requestSerialize(req)
      expect(Buffer.isBuffer(encoded)).toBe(true)
      expect(encoded.equals(bytes)).toBe(true)
      const back = txn(d).requestDeserialize(bytes) as typeof req
      expect(back).toEqual(txn(fromProto).requestDeserialize(bytes))
      expect(back.compare[0]!.mod_revision).toBe('9223372036854775807')
      expect(back.success[0]!.request_put.lease).toBe('7587862115445011000')
      expect(back.failure[0]!.request_range.sort_order).toBe('DESCEND')
    }
    // A response with a oneof, defaults and a nested repeated message, both ways.
    const resp = { header: { cluster_id: '18446744073709551615', member_id: '1', revision: '5', raft_term: '2' }, succeeded: true, responses: [{ response_range: { kvs: [{ key: Buffer.from('k'), value: Buffer.from('v'), create_revision: '3', mod_revision: '4', version: '1', lease: '0' }], more: false, count: '1' } }] }
    const rb = txn(fromProto).responseSerialize(resp)
    expect(txn(ours).responseSerialize(resp).equals(rb)).toBe(true)
    expect(txn(ours).responseDeserialize(rb)).toEqual(txn(fromProto).responseDeserialize(rb))
    // An array is refused, as proto-loader refuses it.
    expect(() => txn(ours).requestSerialize([])).toThrow(/expected object/)
  })

  it('warm their codecs one message type per turn of the event loop, and encode the same after', async () => {
    // A fresh copy of the module, so no type has been used yet.
    vi.resetModules()
    const load = await import('../../../src-main/etcdpb/load')
    const generated = (t: { encode: unknown; decode: unknown; fromObject: unknown; toObject: unknown }) => ['encode', 'decode', 'fromObject', 'toObject'].every((k) => Object.prototype.hasOwnProperty.call(t, k))
    const types = load.messageTypes()
    expect(types.length).toBeGreaterThan(100)
    expect(types.filter(generated)).toHaveLength(0)
    let warm = false
    let turns = 0
    const count = (): void => {
      turns++
      if (!warm) setImmediate(count)
    }
    setImmediate(count)
    await load.warmCodecs()
    warm = true
    // Every type's code is made, and the loop got a turn between (nearly) every two types.
    expect(types.filter((t) => !generated(t)).map((t) => t.fullName)).toEqual([])
    expect(turns).toBeGreaterThanOrEqual(types.length - 1)
    // What the warmed codecs encode and decode is what proto-loader's do.
    const range = (d: protoLoader.PackageDefinition | Record<string, grpc.ServiceDefinition>) => (d['etcdserverpb.KV'] as grpc.ServiceDefinition).Range!
    const req = { key: Buffer.from('/registry/'), range_end: Buffer.from('/registry0'), limit: '500', revision: '77', keys_only: true }
    const bytes = range(fromProto).requestSerialize(req)
    const warmed = load.etcdPackageDefinition()
    expect(range(warmed).requestSerialize(req).equals(bytes)).toBe(true)
    expect(range(warmed).requestDeserialize(bytes)).toEqual(range(fromProto).requestDeserialize(bytes))
  })
})
