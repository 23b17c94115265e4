// etcd 3.4's backend schema: bucket names, the revision key encoding of the `key`
// bucket, and the protobuf/JSON records stored in each bucket. Field numbers come from
// mvccpb/kv.proto, leasepb/lease.proto, authpb/auth.proto and etcdserverpb's AlarmMember.

import { fromUtf8, putU64be, u64beBig, utf8 } from './bytes'
import { ProtoWriter, WireType, asInt64, decodeFields } from './protobuf'

export const EtcdBucket = {
  key: 'key',
  meta: 'meta',
  lease: 'lease',
  members: 'members',
  membersRemoved: 'members_removed',
  cluster: 'cluster',
  auth: 'auth',
  authUsers: 'authUsers',
  authRoles: 'authRoles',
  alarm: 'alarm',
} as const

export const ETCD_BUCKETS: readonly string[] = Object.values(EtcdBucket)

export const MetaKey = {
  consistentIndex: 'consistent_index',
  term: 'term',
  scheduledCompactRev: 'scheduledCompactRev',
  finishedCompactRev: 'finishedCompactRev',
} as const

export class EtcdSchemaError extends Error {}

// ---- revisions ---------------------------------------------------------------------

export interface Revision {
  readonly main: bigint
  readonly sub: bigint
}

export const REVISION_KEY_SIZE = 17
const REV_SEPARATOR = 0x5f // '_'
const TOMBSTONE_MARK = 0x74 // 't'

export function encodeRevision(rev: Revision, tombstone = false): Uint8Array {
  const b = new Uint8Array(tombstone ? REVISION_KEY_SIZE + 1 : REVISION_KEY_SIZE)
  putU64be(b, 0, rev.main)
  b[8] = REV_SEPARATOR
  putU64be(b, 9, rev.sub)
  if (tombstone) b[17] = TOMBSTONE_MARK
  return b
}

export function decodeRevisionKey(b: Uint8Array): Revision & { tombstone: boolean } {
  if (b.length !== REVISION_KEY_SIZE && b.length !== REVISION_KEY_SIZE + 1) {
    throw new EtcdSchemaError(`revision key has ${b.length} bytes, expected 17 or 18`)
  }
  if (b[8] !== REV_SEPARATOR) throw new EtcdSchemaError(`revision key byte 8 is 0x${b[8]!.toString(16)}, expected '_'`)
  const tombstone = b.length === REVISION_KEY_SIZE + 1
  if (tombstone && b[17] !== TOMBSTONE_MARK) throw new EtcdSchemaError(`revision key byte 17 is 0x${b[17]!.toString(16)}, expected 't'`)
  return { main: asInt64(u64beBig(b, 0)), sub: asInt64(u64beBig(b, 9)), tombstone }
}

// ---- mvccpb.KeyValue ---------------------------------------------------------------

export interface KeyValue {
  readonly key: Uint8Array
  readonly createRevision: bigint
  readonly modRevision: bigint
  readonly version: bigint
  readonly value: Uint8Array
  readonly lease: bigint
}

export function encodeKeyValue(kv: KeyValue): Uint8Array {
  return new ProtoWriter()
    .bytes(1, kv.key)
    .int(2, kv.createRevision)
    .int(3, kv.modRevision)
    .int(4, kv.version)
    .bytes(5, kv.value)
    .int(6, kv.lease)
    .finish()
}

export function decodeKeyValue(buf: Uint8Array): KeyValue {
  let key: Uint8Array = new Uint8Array(0)
  let value: Uint8Array = new Uint8Array(0)
  let createRevision = 0n
  let modRevision = 0n
  let version = 0n
  let lease = 0n
  for (const f of decodeFields(buf)) {
    if (f.wire === WireType.bytes) {
      if (f.field === 1) key = f.bytes
      else if (f.field === 5) value = f.bytes
    } else if (f.wire === WireType.varint) {
      const v = asInt64(f.int)
      if (f.field === 2) createRevision = v
      else if (f.field === 3) modRevision = v
      else if (f.field === 4) version = v
      else if (f.field === 6) lease = v
    }
  }
  return { key, createRevision, modRevision, version, value, lease }
}

// ---- leasepb.Lease -----------------------------------------------------------------

export interface Lease {
  readonly id: bigint
  readonly ttl: bigint
  readonly remainingTtl: bigint
}

export function encodeLeaseKey(id: bigint): Uint8Array {
  const b = new Uint8Array(8)
  putU64be(b, 0, id)
  return b
}

export function encodeLease(l: Lease): Uint8Array {
  return new ProtoWriter().int(1, l.id).int(2, l.ttl).int(3, l.remainingTtl).finish()
}

export function decodeLease(buf: Uint8Array): Lease {
  let id = 0n
  let ttl = 0n
  let remainingTtl = 0n
  for (const f of decodeFields(buf)) {
    if (f.wire !== WireType.varint) continue
    if (f.field === 1) id = asInt64(f.int)
    else if (f.field === 2) ttl = asInt64(f.int)
    else if (f.field === 3) remainingTtl = asInt64(f.int)
  }
  return { id, ttl, remainingTtl }
}

// ---- authpb.User / authpb.Role -----------------------------------------------------

export interface AuthUser {
  readonly name: string
  /** bcrypt hash as stored by etcd. */
  readonly password: Uint8Array
  readonly roles: readonly string[]
  /**
   * UserAddOptions (field 4). etcd 3.4.23 writes it as an empty message for every user
   * it creates; keep it when present so a re-encoded record stays byte-identical.
   */
  readonly options?: { readonly noPassword: boolean }
}

export function encodeUser(u: AuthUser): Uint8Array {
  const w = new ProtoWriter().bytes(1, u.name).bytes(2, u.password)
  for (const r of u.roles) w.bytesAlways(3, utf8(r))
  if (u.options) w.bytesAlways(4, new ProtoWriter().int(1, u.options.noPassword ? 1 : 0).finish())
  return w.finish()
}

export function decodeUser(buf: Uint8Array): AuthUser {
  let name = ''
  let password: Uint8Array = new Uint8Array(0)
  const roles: string[] = []
  let options: { noPassword: boolean } | undefined
  for (const f of decodeFields(buf)) {
    if (f.wire !== WireType.bytes) continue
    if (f.field === 1) name = fromUtf8(f.bytes)
    else if (f.field === 2) password = f.bytes.slice()
    else if (f.field === 3) roles.push(fromUtf8(f.bytes))
    else if (f.field === 4) {
      options = { noPassword: decodeFields(f.bytes).some((o) => o.field === 1 && o.wire === WireType.varint && o.int !== 0n) }
    }
  }
  return options ? { name, password, roles, options } : { name, password, roles }
}

export const PermissionType = { read: 0, write: 1, readwrite: 2 } as const
export type PermissionTypeName = keyof typeof PermissionType

export interface Permission {
  readonly permType: PermissionTypeName
  readonly key: Uint8Array
  readonly rangeEnd: Uint8Array
}

export interface AuthRole {
  readonly name: string
  readonly keyPermission: readonly Permission[]
}

const permTypeByNumber = new Map<number, PermissionTypeName>(
  Object.entries(PermissionType).map(([k, v]) => [v, k as PermissionTypeName]),
)

export function encodeRole(r: AuthRole): Uint8Array {
  const w = new ProtoWriter().bytes(1, r.name)
  for (const p of r.keyPermission) {
    const pw = new ProtoWriter().int(1, PermissionType[p.permType]).bytes(2, p.key).bytes(3, p.rangeEnd).finish()
    w.bytesAlways(2, pw)
  }
  return w.finish()
}

export function decodeRole(buf: Uint8Array): AuthRole {
  let name = ''
  const keyPermission: Permission[] = []
  for (const f of decodeFields(buf)) {
    if (f.wire !== WireType.bytes) continue
    if (f.field === 1) name = fromUtf8(f.bytes)
    else if (f.field === 2) {
      let permType: PermissionTypeName = 'read'
      let key: Uint8Array = new Uint8Array(0)
      let rangeEnd: Uint8Array = new Uint8Array(0)
      for (const pf of decodeFields(f.bytes)) {
        if (pf.field === 1 && pf.wire === WireType.varint) {
          const t = permTypeByNumber.get(Number(pf.int))
          if (!t) throw new EtcdSchemaError(`role ${name}: unknown permission type ${pf.int}`)
          permType = t
        } else if (pf.field === 2 && pf.wire === WireType.bytes) key = pf.bytes.slice()
        else if (pf.field === 3 && pf.wire === WireType.bytes) rangeEnd = pf.bytes.slice()
      }
      keyPermission.push({ permType, key, rangeEnd })
    }
  }
  return { name, keyPermission }
}

// ---- etcdserverpb.AlarmMember (stored as the key of the alarm bucket) --------------

export const AlarmType = { none: 0, nospace: 1, corrupt: 2 } as const
export type AlarmTypeName = keyof typeof AlarmType

export interface Alarm {
  readonly memberId: bigint
  readonly alarm: AlarmTypeName
}

export function encodeAlarm(a: Alarm): Uint8Array {
  return new ProtoWriter().int(1, a.memberId).int(2, AlarmType[a.alarm]).finish()
}

export function decodeAlarm(buf: Uint8Array): Alarm {
  let memberId = 0n
  let alarm: AlarmTypeName = 'none'
  for (const f of decodeFields(buf)) {
    if (f.wire !== WireType.varint) continue
    if (f.field === 1) memberId = f.int
    else if (f.field === 2) {
      const name = (Object.keys(AlarmType) as AlarmTypeName[]).find((k) => AlarmType[k] === Number(f.int))
      if (!name) throw new EtcdSchemaError(`unknown alarm type ${f.int}`)
      alarm = name
    }
  }
  return { memberId, alarm }
}

// ---- members (JSON, ids as uint64) -------------------------------------------------

export interface MemberRecord {
  /** Member id; uint64, so bigint. */
  readonly id: bigint
  readonly name?: string
  readonly peerURLs: readonly string[]
  readonly clientURLs?: readonly string[]
  readonly isLearner?: boolean
}

/** Member ids are keys in hex (types.ID.String()). */
export const memberKey = (id: bigint): string => BigInt.asUintN(64, id).toString(16)

export function parseMemberKey(key: string): bigint {
  if (!/^[0-9a-f]{1,16}$/.test(key)) throw new EtcdSchemaError(`member key ${JSON.stringify(key)} is not a hex id`)
  return BigInt('0x' + key)
}

/**
 * etcd marshals the member with Go's encoding/json, where the uint64 id is a bare number
 * that JSON.parse would round above 2^53. Quote it before parsing so it survives.
 */
export function decodeMember(json: Uint8Array, key: string): MemberRecord {
  const text = fromUtf8(json)
  const quoted = text.replace(/"id"\s*:\s*(\d+)/, '"id":"$1"')
  let obj: Record<string, unknown>
  try {
    obj = JSON.parse(quoted) as Record<string, unknown>
  } catch (e) {
    throw new EtcdSchemaError(`member ${key}: value is not JSON (${(e as Error).message})`)
  }
  const id = typeof obj.id === 'string' ? BigInt(obj.id) : parseMemberKey(key)
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  const rec: MemberRecord = {
    id,
    peerURLs: strings(obj.peerURLs),
    ...(typeof obj.name === 'string' ? { name: obj.name } : {}),
    ...(Array.isArray(obj.clientURLs) ? { clientURLs: strings(obj.clientURLs) } : {}),
    ...(obj.isLearner === true ? { isLearner: true } : {}),
  }
  return rec
}

/** The JSON etcd 3.4 stores: Go field order, id as a bare uint64, omitempty fields dropped. */
export function encodeMember(m: MemberRecord): Uint8Array {
  const parts = [`"id":${BigInt.asUintN(64, m.id).toString()}`, `"peerURLs":${JSON.stringify(m.peerURLs)}`]
  if (m.isLearner) parts.push('"isLearner":true')
  if (m.name) parts.push(`"name":${JSON.stringify(m.name)}`)
  if (m.clientURLs && m.clientURLs.length) parts.push(`"clientURLs":${JSON.stringify(m.clientURLs)}`)
  return utf8(`{${parts.join(',')}}`)
}

// ---- u64 helpers for meta/auth buckets ---------------------------------------------

export function encodeU64be(v: bigint): Uint8Array {
  const b = new Uint8Array(8)
  putU64be(b, 0, v)
  return b
}

export function decodeU64be(b: Uint8Array, what: string): bigint {
  if (b.length !== 8) throw new EtcdSchemaError(`${what} has ${b.length} bytes, expected 8`)
  return u64beBig(b, 0)
}
