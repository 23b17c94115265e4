/**
 * Loads etcd's v3 protocol definitions (our own .proto files in this folder) for @grpc/grpc-js.
 *
 * Loader options, shared by the member and the client layer so both see the same shapes:
 * - `keepCase: true`: fields keep the proto spelling (`create_revision`, `range_end`, `ID`,
 *   `peerURLs`), exactly what etcd's docs and JSON output use.
 * - `longs: String`: every int64/uint64 (revisions, lease IDs, member IDs, cluster IDs) arrives
 *   as a decimal string. Member IDs are full 64-bit values, which a JS number would round. When
 *   sending, protobufjs accepts a decimal string, a number or a bigint's `toString()`.
 * - `enums: String`: enum values arrive as their names (`'PUT'`, `'DESCEND'`); names or numbers
 *   are accepted when sending.
 * - `defaults: true`: absent scalars arrive as their zero value ('' / '0' / false / empty Buffer),
 *   as Go code sees them, so handlers need no undefined checks for proto3 scalars.
 * - `oneofs: true`: a oneof's name holds the name of the field that is set (`request: 'request_put'`).
 * - bytes arrive as Buffer.
 */
import { fileURLToPath } from 'node:url'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import * as protoLoader from '@grpc/proto-loader'
import * as grpc from '@grpc/grpc-js'
import { DESCRIPTOR_FILE, PROTO_FILES } from './descriptor'

/**
 * Where the .proto files are: beside this module when it runs from source; in out/main/etcdpb (copied
 * by electron.vite.config.ts) when it runs bundled, from out/main or one of its chunk folders.
 */
export const protoDir = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const candidates = [here, path.join(here, 'etcdpb'), path.join(here, '..', 'etcdpb')]
  return candidates.find((d) => existsSync(path.join(d, 'rpc.proto'))) ?? here
})()

export const loaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
}

let cachedDefinition: protoLoader.PackageDefinition | undefined

/** The package definition of rpc.proto, kv.proto, auth.proto, debug.proto and our internal entries. */
export function etcdPackageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= loadDefinition()
  return cachedDefinition
}

/** From the build's pre-parsed JSON (descriptor.ts) when it is there; from the .proto text otherwise (running from source). */
function loadDefinition(): protoLoader.PackageDefinition {
  const json = path.join(protoDir, DESCRIPTOR_FILE)
  if (existsSync(json)) return protoLoader.fromJSON(JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>, loaderOptions)
  return protoLoader.loadSync(PROTO_FILES, loaderOptions)
}

/** A service definition by fully qualified name, e.g. `etcdserverpb.KV` or `raftdeck.Debug`. */
export function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  const def = etcdPackageDefinition()[fullName]
  if (!def || 'format' in def) throw new Error(`no service ${fullName} in etcd protos`)
  return def as grpc.ServiceDefinition
}

/** Client constructors for etcd's services (for the app's client layer and tests). */
export function etcdGrpcObject(): grpc.GrpcObject {
  return grpc.loadPackageDefinition(etcdPackageDefinition())
}

export interface MessageCodec<T> {
  encode(value: T): Buffer
  decode(bytes: Buffer): T
}

/**
 * Protobuf codec for one message, borrowed from a method's serializers: proto-loader only exposes
 * serialize/deserialize on methods, so `raftdeck.internal.Codec/Encode` exists to carry them.
 */
export function internalRequestCodec<T>(): MessageCodec<T> {
  const method = serviceDefinition('raftdeck.internal.Codec').Encode!
  return {
    encode: (value) => method.requestSerialize(value) as Buffer,
    decode: (bytes) => method.requestDeserialize(bytes) as T,
  }
}
