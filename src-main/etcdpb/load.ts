/**
 * Loads etcd's v3 protocol definitions (our own .proto files in this folder) for @grpc/grpc-js.
 *
 * The shapes messages take, the same for the member and the client layer (those proto-loader gives
 * with these options, which the app used until 2026-12; test/unit/rpc/protoDescriptor.test.ts checks):
 * - `keepCase: true` (when parsing): fields keep the proto spelling (`create_revision`, `range_end`, `ID`,
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
import protobuf from 'protobufjs'
import * as grpc from '@grpc/grpc-js'
import { DESCRIPTOR_FILE, protoRoot } from './descriptor'
import { installInt64FastPaths } from './int64'

// Every codec below converts 64-bit integers from and to decimal strings (`longs: String`).
installInt64FastPaths()

/**
 * Where the .proto files are: beside this module when it runs from source; in out/main/etcdpb (copied
 * by electron.vite.config.ts) when it runs bundled, from out/main or one of its chunk folders.
 */
export const protoDir = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const candidates = [here, path.join(here, 'etcdpb'), path.join(here, '..', 'etcdpb')]
  return candidates.find((d) => existsSync(path.join(d, 'rpc.proto'))) ?? here
})()

/** How protobufjs turns a decoded message into the plain object the handlers and the client see. */
const toObjectOptions: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true }

/** The services of the etcd protos, as grpc-js wants them: methods by name, each with its path and codecs. */
export type EtcdPackageDefinition = Record<string, grpc.ServiceDefinition>

let cachedRoot: protobuf.Root | undefined
let cachedDefinition: EtcdPackageDefinition | undefined
let cachedGrpcObject: grpc.GrpcObject | undefined

/** The services of rpc.proto, kv.proto, auth.proto, debug.proto and our internal entries. */
export function etcdPackageDefinition(): EtcdPackageDefinition {
  cachedDefinition ??= servicesOf(etcdRoot())
  return cachedDefinition
}

function etcdRoot(): protobuf.Root {
  cachedRoot ??= loadRoot()
  return cachedRoot
}

/**
 * Generates every message type's codecs (protobufjs writes encode, decode and the object converters
 * for a type the first time it is used) one type per turn of the event loop. A member calls it once
 * it serves: otherwise its first request of each kind pays for the code of every type it touches
 * in one go, which held a member's thread for 50–80 ms at its first proposal on these machines.
 * About 30 ms in all for the 114 types, none over 2 ms.
 */
export async function warmCodecs(): Promise<void> {
  for (const type of messageTypes()) {
    // setup() assigns the generated codecs on the type itself; a type in use already has them.
    if (!Object.prototype.hasOwnProperty.call(type, 'encode')) type.setup()
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** Every message type of the etcd protos, nested ones included. */
export function messageTypes(): protobuf.Type[] {
  const types: protobuf.Type[] = []
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) types.push(obj)
      // Messages are namespaces too: their nested messages are types of their own.
      if (obj instanceof protobuf.Namespace) visit(obj)
    }
  }
  visit(etcdRoot())
  return types
}

/** From the build's pre-parsed JSON (descriptor.ts) when it is there; from the .proto text otherwise (running from source). */
function loadRoot(): protobuf.Root {
  const json = path.join(protoDir, DESCRIPTOR_FILE)
  const root = existsSync(json) ? protobuf.Root.fromJSON(JSON.parse(readFileSync(json, 'utf8')) as protobuf.INamespace) : protoRoot(protoDir)
  root.resolveAll()
  return root
}

/**
 * Every service in `root`, with the same paths, streaming flags and codecs that @grpc/proto-loader
 * builds (test/unit/rpc/protoDescriptor.test.ts compares them), but without what only reflection
 * needs: proto-loader also encodes a descriptor of every file and message, which was half of the
 * definitions' load time, paid by every process at its first call (a `raftdeck backup run` from cron,
 * a member at its start).
 */
function servicesOf(root: protobuf.Root): EtcdPackageDefinition {
  const out: EtcdPackageDefinition = {}
  const visit = (ns: protobuf.NamespaceBase, prefix: string) => {
    for (const obj of ns.nestedArray) {
      const name = prefix ? `${prefix}.${obj.name}` : obj.name
      if (obj instanceof protobuf.Service) out[name] = serviceOf(obj, name)
      // Services live in packages, never inside messages: packages are the only thing to descend into.
      else if (obj instanceof protobuf.Namespace && !(obj instanceof protobuf.Type)) visit(obj, name)
    }
  }
  visit(root, '')
  return out
}

function serviceOf(service: protobuf.Service, name: string): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  for (const m of service.methodsArray) {
    const req = m.resolvedRequestType!
    const res = m.resolvedResponseType!
    def[m.name] = {
      path: `/${name}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: serializer(req),
      requestDeserialize: deserializer(req),
      responseSerialize: serializer(res),
      responseDeserialize: deserializer(res),
    }
  }
  return def
}

function serializer(type: protobuf.Type): (value: unknown) => Buffer {
  const direct = encodesDirectly(type)
  return (value) => {
    // As proto-loader: a plain object only (fromObject would take an array's indexes as field names).
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`)
    // protobufjs's writer in Node is a Buffer writer: its result is a Buffer already.
    return type.encode(direct ? (value as Record<string, unknown>) : type.fromObject(value as Record<string, unknown>)).finish() as Buffer
  }
}

/**
 * Whether a message of `type` can be encoded from the plain object itself, without protobufjs's
 * fromObject pass (a copy of the whole message, with every 64-bit integer parsed into a Long). That
 * pass is needed for enums given by name and for loose inputs, such as a number for a string field.
 * A message with no enum, string or map field anywhere in it, given in the shapes this module's
 * decoding produces (64-bit integers as decimal strings or numbers, bytes as Buffers, booleans),
 * encodes to the same bytes either way: test/unit/rpc/directEncode.test.ts checks this for every such type.
 * KV's responses are such messages, and they are most of what a member encodes.
 */
export function encodesDirectly(type: protobuf.Type, seen = new Set<protobuf.Type>()): boolean {
  if (seen.has(type)) return true
  seen.add(type)
  for (const field of type.fieldsArray) {
    field.resolve()
    if (field.map || field.type === 'string' || field.resolvedType instanceof protobuf.Enum) return false
    if (field.resolvedType instanceof protobuf.Type && !encodesDirectly(field.resolvedType, seen)) return false
  }
  return true
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => unknown {
  return (bytes) => type.toObject(type.decode(bytes), toObjectOptions)
}

/** A service definition by fully qualified name, e.g. `etcdserverpb.KV` or `raftdeck.Debug`. */
export function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  const def = etcdPackageDefinition()[fullName]
  if (!def) throw new Error(`no service ${fullName} in etcd protos`)
  return def
}

/** Client constructors for etcd's services (for the app's client layer and tests). */
export function etcdGrpcObject(): grpc.GrpcObject {
  cachedGrpcObject ??= grpc.loadPackageDefinition(etcdPackageDefinition())
  return cachedGrpcObject
}

export interface MessageCodec<T> {
  encode(value: T): Buffer
  decode(bytes: Buffer): T
}

/**
 * Protobuf codec for one message, borrowed from a method's serializers: the definitions carry codecs
 * only on methods, so `raftdeck.internal.Codec/Encode` exists to carry them.
 */
export function internalRequestCodec<T>(): MessageCodec<T> & { encodeShaped(value: T): Buffer } {
  const method = serviceDefinition('raftdeck.internal.Codec').Encode!
  const type = etcdRoot().lookupType('raftdeck.internal.InternalRequest')
  return {
    encode: (value) => method.requestSerialize(value) as Buffer,
    decode: (bytes) => method.requestDeserialize(bytes) as T,
    /**
     * Without the fromObject pass (see encodesDirectly), for a value whose every field already has
     * its wire shape: strings in string fields, no enum anywhere (a put or a delete, say). The
     * caller vouches for that; `encode` is the safe choice otherwise.
     */
    encodeShaped: (value) => type.encode(value as Record<string, unknown>).finish() as Buffer,
  }
}
