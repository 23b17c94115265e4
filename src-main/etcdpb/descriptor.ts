/**
 * The etcd protos parsed once, at build time, into protobufjs's JSON form. The build writes it beside
 * the .proto files (electron.vite.config.ts) and load.ts reads it instead of parsing the .proto text at
 * every start: half of the definitions' load time, which every `raftdeck backup run` from cron pays.
 * The parse is the one @grpc/proto-loader does (keepCase, the same files, every reference resolved);
 * test/unit/rpc/protoDescriptor.test.ts checks that both give the same definitions.
 */
import path from 'node:path'
import protobuf from 'protobufjs'

/** The files whose services and messages the app and the member use (their imports come along). */
export const PROTO_FILES = ['rpc.proto', 'debug.proto', 'raftdeck_internal.proto']

/** Name of the JSON form beside the .proto files in the build. */
export const DESCRIPTOR_FILE = 'etcd.descriptor.json'

/** Parses the protos in `dir` as proto-loader would (field names as written, every reference resolved). */
export function protoRoot(dir: string): protobuf.Root {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target))
  root.loadSync(PROTO_FILES, { keepCase: true })
  root.resolveAll()
  return root
}

/** protobufjs's JSON form of the protos in `dir`, which the build writes beside them. */
export function protoDescriptorJson(dir: string): protobuf.INamespace {
  return protoRoot(dir).toJSON()
}
