/**
 * fast-check generators for etcd's client API: every method of KV, Watch, Lease, Cluster,
 * Maintenance and Auth, with fields left out, empty and huge keys, negative and maximal numbers,
 * unknown enum values, deep nesting, raw bytes instead of a message, and calls made as root, as an
 * ordinary user, anonymously or with a bad token.
 *
 * A call is plain data (no server state goes into it), so a seed always produces the same
 * sequence. Members and learners the cluster will have are named by placeholders (`$member0`,
 * `$learner`) that the runner resolves against the cluster it talks to.
 */
import fc from 'fast-check'

export type Service = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth'
export type Identity = 'anonymous' | 'root' | 'alice' | 'bob' | 'badtoken'

interface Common {
  /** Which member (0–2) the call goes to. */
  member: number
  as: Identity
}

export type FuzzCall =
  | (Common & { kind: 'unary'; service: Service; method: string; request: Record<string, unknown> })
  | (Common & { kind: 'raw'; service: Service; method: string; bytes: Uint8Array })
  | (Common & { kind: 'watch'; requests: Array<Record<string, unknown>> })
  | (Common & { kind: 'keepalive'; ids: string[] })
  | (Common & { kind: 'snapshot' })

/** Methods a call may name (for `raw`, and the list of what is covered). */
export const UNARY_METHODS: Record<Service, string[]> = {
  KV: ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact'],
  Watch: [],
  Lease: ['LeaseGrant', 'LeaseRevoke', 'LeaseTimeToLive', 'LeaseLeases'],
  Cluster: ['MemberAdd', 'MemberRemove', 'MemberUpdate', 'MemberList', 'MemberPromote'],
  Maintenance: ['Alarm', 'Status', 'Defragment', 'Hash', 'HashKV', 'MoveLeader'],
  Auth: [
    'AuthEnable',
    'AuthDisable',
    'Authenticate',
    'UserAdd',
    'UserGet',
    'UserList',
    'UserDelete',
    'UserChangePassword',
    'UserGrantRole',
    'UserRevokeRole',
    'RoleAdd',
    'RoleGet',
    'RoleList',
    'RoleDelete',
    'RoleGrantPermission',
    'RoleRevokePermission',
  ],
}

/** Every method of the six services, streams included: what the fuzzer covers. */
export const ALL_METHODS = [
  ...Object.entries(UNARY_METHODS).flatMap(([s, ms]) => ms.map((m) => `${s}/${m}`)),
  'Watch/Watch',
  'Lease/LeaseKeepAlive',
  'Maintenance/Snapshot',
]

export interface GenOptions {
  /** Auth may be on: calls are made as the users the runner sets up. */
  auth: boolean
  /** Keys of a megabyte and more (slow; on by default). */
  hugeKeys: boolean
}

const bytes = (s: string) => Buffer.from(s, 'latin1')

/** Keys that collide often (so txns, watches and permissions meet), plus edge cases. */
const key = (o: GenOptions): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('a', 'b', 'c', '/app/x', '/app/y', '/other', 'k0', 'k1', 'k2', 'w/1').map(bytes) },
    { weight: 3, arbitrary: fc.constantFrom('', '\u0000', '\u00ff\u00ff', 'a\u0000b').map(bytes) },
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.constantFrom(4096, 100_000).map((n) => Buffer.alloc(n, 107)) },
    { weight: o.hugeKeys ? 1 : 0, arbitrary: fc.constantFrom(1_600_000, 2_200_000).map((n) => Buffer.alloc(n, 108)) },
  )

const rangeEnd: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: fc.constantFrom('\u0000', 'b', 'z', '/app0', '/app/', 'a').map(bytes) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)) },
)

const value: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 16 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 300_000).map((n) => Buffer.alloc(n, 118)) },
)

/** int64 fields as the loader takes them (decimal strings), edge values included. */
const int64: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('-1', '-2', '9223372036854775807', '-9223372036854775808', '1000000', '4294967296') },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(String) },
)

const uint64Id: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('$member0', '$member1', '$member2', '$learner') },
  { weight: 2, arbitrary: fc.constantFrom('0', '1', '18446744073709551615', '9223372036854775808') },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String) },
)

const leaseId: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '1', '2', '3', '77') },
  { weight: 2, arbitrary: fc.constantFrom('-1', '9223372036854775807', '-9223372036854775808') },
  { weight: 1, arbitrary: int64 },
)

const ttl: fc.Arbitrary<string> = fc.constantFrom('-5', '0', '1', '30', '600', '3600', '9000000000', '9000000001', '9223372036854775807')

/** An enum field: one of its names, or a number the schema does not know. */
const enumOf = (names: string[]): fc.Arbitrary<string | number> =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom(5, 99, 2147483647) })

/** A request object whose every field may be missing (proto3: absent = default). */
const partial = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>

const name: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('alice', 'bob', 'carol', 'r1', 'r2', 'app') },
  { weight: 2, arbitrary: fc.constantFrom('', 'root', 'ü', 'a b', '\u0000') },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(300)) },
)
/** Names the runner's own users never get (it must keep logging in as root). */
const nameNotRoot = name.filter((n) => n !== 'root')
const password = fc.constantFrom('', 'pw', 'secret', 'x'.repeat(100))

function rangeRequest(o: GenOptions) {
  return partial({
    key: key(o),
    range_end: rangeEnd,
    limit: int64,
    revision: int64,
    sort_order: enumOf(['NONE', 'ASCEND', 'DESCEND']),
    sort_target: enumOf(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']),
    serializable: fc.boolean(),
    keys_only: fc.boolean(),
    count_only: fc.boolean(),
    min_mod_revision: int64,
    max_mod_revision: int64,
    min_create_revision: int64,
    max_create_revision: int64,
  })
}

function putRequest(o: GenOptions) {
  return partial({ key: key(o), value, lease: leaseId, prev_kv: fc.boolean(), ignore_value: fc.boolean(), ignore_lease: fc.boolean() })
}

function deleteRequest(o: GenOptions) {
  return partial({ key: key(o), range_end: rangeEnd, prev_kv: fc.boolean() })
}

function compare(o: GenOptions) {
  return fc
    .tuple(
      partial({ result: enumOf(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']), target: enumOf(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE']), key: key(o), range_end: rangeEnd }),
      fc.oneof(
        fc.record({ version: int64 }),
        fc.record({ create_revision: int64 }),
        fc.record({ mod_revision: int64 }),
        fc.record({ value }),
        fc.record({ lease: leaseId }),
        fc.constant({}),
      ),
    )
    .map(([c, u]) => ({ ...c, ...u }))
}

/** Txns nested a few levels, with empty ops now and then. */
function txnRequest(o: GenOptions): fc.Arbitrary<Record<string, unknown>> {
  const { txn } = fc.letrec((tie) => ({
    op: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ request_range: rangeRequest(o) }),
      fc.record({ request_put: putRequest(o) }),
      fc.record({ request_delete_range: deleteRequest(o) }),
      fc.record({ request_txn: tie('txn') }),
      fc.constant({}),
    ),
    txn: partial({
      compare: fc.array(compare(o), { maxLength: 3 }),
      success: fc.array(tie('op'), { maxLength: 4 }),
      failure: fc.array(tie('op'), { maxLength: 3 }),
    }),
  }))
  return txn as fc.Arbitrary<Record<string, unknown>>
}

/** A chain of txns nested `depth` deep, past --max-txn-ops' reach. */
const deepTxn = fc.integer({ min: 20, max: 200 }).map((depth) => {
  let t: Record<string, unknown> = { success: [{ request_put: { key: bytes('deep'), value: bytes('x') } }] }
  for (let i = 0; i < depth; i++) t = { compare: [], success: [{ request_txn: t }] }
  return t
})

/** Many ops in one txn, around --max-txn-ops (128). */
const wideTxn = fc.integer({ min: 100, max: 140 }).map((n) => ({ success: Array.from({ length: n }, (_, i) => ({ request_put: { key: bytes(`wide/${i}`), value: bytes('v') } })) }))

const peerURLs = fc.oneof(
  fc.constant([] as string[]),
  fc.constantFrom(['garbage'], ['http://'], ['unix://sock'], ['http://127.0.0.1'], ['https://[::1]:x'], ['http://127.0.0.1:1/path']),
  fc.constantFrom(['$peer0'], ['$freshPeer']),
  fc.array(fc.webUrl(), { maxLength: 2 }),
)

const permission = partial({ permType: enumOf(['READ', 'WRITE', 'READWRITE']), key: key({ auth: true, hugeKeys: false }), range_end: rangeEnd })

function unaryCall(o: GenOptions): fc.Arbitrary<{ service: Service; method: string; request: Record<string, unknown> }> {
  const call = (service: Service, method: string, request: fc.Arbitrary<Record<string, unknown>>, weight = 1) => ({
    weight,
    arbitrary: request.map((r) => ({ service, method, request: r })),
  })
  const none = fc.constant({})
  return fc.oneof(
    call('KV', 'Range', rangeRequest(o), 6),
    call('KV', 'Put', putRequest(o), 8),
    call('KV', 'DeleteRange', deleteRequest(o), 3),
    call('KV', 'Txn', txnRequest(o), 6),
    call('KV', 'Txn', fc.oneof(deepTxn, wideTxn), 1),
    call('KV', 'Compact', partial({ revision: int64, physical: fc.boolean() }), 1),
    call('Lease', 'LeaseGrant', partial({ TTL: ttl, ID: leaseId }), 4),
    call('Lease', 'LeaseRevoke', partial({ ID: leaseId }), 2),
    call('Lease', 'LeaseTimeToLive', partial({ ID: leaseId, keys: fc.boolean() }), 2),
    call('Lease', 'LeaseLeases', none, 1),
    // Membership: learners may be added for real (they never start, so quorum stays); voters only with URLs that must fail.
    call('Cluster', 'MemberAdd', partial({ peerURLs, isLearner: fc.boolean() }), 1),
    call('Cluster', 'MemberRemove', partial({ ID: uint64Id.filter((id) => !id.startsWith('$member')) }), 1),
    // An update that succeeded would move a running member to a URL nobody listens on: only ones that must fail, or no-ops.
    call('Cluster', 'MemberUpdate', partial({ ID: uint64Id, peerURLs: fc.constantFrom([], ['garbage'], ['http://'], ['unix://sock'], ['$peer0']) }), 1),
    call('Cluster', 'MemberList', none, 1),
    call('Cluster', 'MemberPromote', partial({ ID: uint64Id }), 1),
    call('Maintenance', 'Alarm', partial({ action: enumOf(['GET', 'ACTIVATE', 'DEACTIVATE']), memberID: uint64Id, alarm: enumOf(['NONE', 'NOSPACE', 'CORRUPT']) }), 1),
    call('Maintenance', 'Status', none, 1),
    call('Maintenance', 'Defragment', none, 1),
    call('Maintenance', 'Hash', none, 1),
    call('Maintenance', 'HashKV', partial({ revision: int64 }), 2),
    call('Maintenance', 'MoveLeader', partial({ targetID: uint64Id }), 1),
    call('Auth', 'AuthEnable', none, o.auth ? 1 : 2),
    call('Auth', 'AuthDisable', none, 1),
    call('Auth', 'Authenticate', partial({ name, password }), 2),
    call('Auth', 'UserAdd', partial({ name, password, options: partial({ no_password: fc.boolean() }) }), 2),
    call('Auth', 'UserGet', partial({ name }), 1),
    call('Auth', 'UserList', none, 1),
    call('Auth', 'UserDelete', partial({ name: nameNotRoot }), 1),
    call('Auth', 'UserChangePassword', partial({ name: nameNotRoot, password }), 1),
    call('Auth', 'UserGrantRole', partial({ user: name, role: name }), 2),
    call('Auth', 'UserRevokeRole', partial({ name, role: name }), 1),
    call('Auth', 'RoleAdd', partial({ name }), 2),
    call('Auth', 'RoleGet', partial({ role: name }), 1),
    call('Auth', 'RoleList', none, 1),
    call('Auth', 'RoleDelete', partial({ role: name }), 1),
    // The request that took etcd 3.4 down: perm left out now and then.
    call('Auth', 'RoleGrantPermission', partial({ name, perm: permission }), 3),
    call('Auth', 'RoleRevokePermission', partial({ role: name, key: key({ auth: true, hugeKeys: false }), range_end: rangeEnd }), 1),
  )
}

function watchRequest(o: GenOptions): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: partial({
        key: key(o),
        range_end: rangeEnd,
        start_revision: int64,
        progress_notify: fc.boolean(),
        filters: fc.array(enumOf(['NOPUT', 'NODELETE']), { maxLength: 3 }),
        prev_kv: fc.boolean(),
        watch_id: int64,
        fragment: fc.boolean(),
      }).map((c) => ({ create_request: c })),
    },
    { weight: 1, arbitrary: partial({ watch_id: int64 }).map((c) => ({ cancel_request: c })) },
    { weight: 1, arbitrary: fc.constant({ progress_request: {} }) },
    { weight: 1, arbitrary: fc.constant({}) },
  )
}

export function fuzzCall(o: GenOptions): fc.Arbitrary<FuzzCall> {
  const common = fc.record({
    member: fc.integer({ min: 0, max: 2 }),
    as: o.auth ? fc.constantFrom<Identity>('root', 'root', 'alice', 'bob', 'anonymous', 'badtoken') : fc.constantFrom<Identity>('anonymous', 'anonymous', 'anonymous', 'badtoken'),
  })
  const allUnary = Object.entries(UNARY_METHODS).flatMap(([s, ms]) => ms.map((m) => ({ service: s as Service, method: m })))
  return fc.oneof(
    { weight: 30, arbitrary: fc.tuple(common, unaryCall(o)).map(([c, u]) => ({ ...c, kind: 'unary' as const, ...u })) },
    { weight: 2, arbitrary: fc.tuple(common, fc.constantFrom(...allUnary), fc.uint8Array({ maxLength: 64 })).map(([c, m, b]) => ({ ...c, kind: 'raw' as const, ...m, bytes: b })) },
    { weight: 4, arbitrary: fc.tuple(common, fc.array(watchRequest(o), { minLength: 1, maxLength: 4 })).map(([c, requests]) => ({ ...c, kind: 'watch' as const, requests })) },
    { weight: 3, arbitrary: fc.tuple(common, fc.array(leaseId, { minLength: 1, maxLength: 3 })).map(([c, ids]) => ({ ...c, kind: 'keepalive' as const, ids })) },
    { weight: 1, arbitrary: common.map((c) => ({ ...c, kind: 'snapshot' as const })) },
  )
}

/** The name a call is counted under ("KV/Put", "Watch/Watch", …). */
export function methodOf(c: FuzzCall): string {
  switch (c.kind) {
    case 'unary':
    case 'raw':
      return `${c.service}/${c.method}`
    case 'watch':
      return 'Watch/Watch'
    case 'keepalive':
      return 'Lease/LeaseKeepAlive'
    case 'snapshot':
      return 'Maintenance/Snapshot'
  }
}

/** A call as one readable line: buffers as text when printable, else hex, long ones abridged. */
export function describeCall(c: FuzzCall): string {
  const show = (v: unknown): unknown => {
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      const b = Buffer.from(v)
      const text = b.every((x) => x >= 0x20 && x < 0x7f) ? JSON.stringify(b.toString('latin1')) : `0x${b.toString('hex')}`
      return b.length > 48 ? `<${b.length} bytes ${text.slice(0, 24)}…>` : text
    }
    if (Array.isArray(v)) return v.map(show)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)]))
    return v
  }
  const body = c.kind === 'unary' ? c.request : c.kind === 'raw' ? { raw: c.bytes } : c.kind === 'watch' ? c.requests : c.kind === 'keepalive' ? c.ids : {}
  return `${methodOf(c)} → member ${c.member} as ${c.as}: ${JSON.stringify(show(body))}`
}
