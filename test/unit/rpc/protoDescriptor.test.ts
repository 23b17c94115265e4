// The build ships the etcd protos pre-parsed as JSON (src-main/etcdpb/descriptor.ts) and the loader
// prefers it: it must give exactly the definitions that parsing the .proto files gives, or the app and
// the member would speak a different protocol when built than from source.
import { isDeepStrictEqual } from 'node:util'
import * as protoLoader from '@grpc/proto-loader'
import { describe, expect, it } from 'vitest'
import { PROTO_FILES, protoDescriptorJson } from '../../../src-main/etcdpb/descriptor'
import { loaderOptions, protoDir } from '../../../src-main/etcdpb/load'

describe('the pre-parsed etcd protos', () => {
  const fromProto = protoLoader.loadSync(PROTO_FILES, loaderOptions)
  // Through JSON text, as the build writes it and the loader reads it.
  const fromJson = protoLoader.fromJSON(JSON.parse(JSON.stringify(protoDescriptorJson(protoDir))) as Record<string, unknown>, loaderOptions)

  it('define the same messages, enums and services', () => {
    expect(Object.keys(fromJson).sort()).toEqual(Object.keys(fromProto).sort())
    expect(Object.keys(fromProto)).toContain('etcdserverpb.KV')
    const differ = Object.keys(fromProto).filter((name) => {
      const a = fromProto[name]!
      const b = fromJson[name]!
      if ('format' in a) return !('format' in b) || !isDeepStrictEqual(a.type, b.type)
      const methods = Object.keys(a)
      return !isDeepStrictEqual(methods, Object.keys(b)) || methods.some((m) => {
        const x = (a as protoLoader.ServiceDefinition)[m]!
        const y = (b as protoLoader.ServiceDefinition)[m]!
        return x.path !== y.path || x.requestStream !== y.requestStream || x.responseStream !== y.responseStream
      })
    })
    expect(differ).toEqual([])
  })

  it('encode and decode alike, with the loader options (names as in the proto, 64-bit as strings, enums as names)', () => {
    const txn = (d: protoLoader.PackageDefinition) => (d['etcdserverpb.KV'] as protoLoader.ServiceDefinition).Txn!
    const req = {
      compare: [{ result: 'NOT_EQUAL', target: 'MOD', key: Buffer.from('/registry/pods/a'), mod_revision: '9223372036854775807' }],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '7587862115445011000', prev_kv: true } }],
      failure: [{ request_range: { key: Buffer.from('k'), range_end: Buffer.from([0]), sort_order: 'DESCEND', limit: '10' } }],
    }
    const bytes = txn(fromProto).requestSerialize(req)
    expect(txn(fromJson).requestSerialize(req).equals(bytes)).toBe(true)
    const back = txn(fromJson).requestDeserialize(bytes) as typeof req
    expect(back).toEqual(txn(fromProto).requestDeserialize(bytes))
    expect(back.compare[0]!.mod_revision).toBe('9223372036854775807')
    expect(back.success[0]!.request_put.lease).toBe('7587862115445011000')
    expect(back.failure[0]!.request_range.sort_order).toBe('DESCEND')
  })
})
