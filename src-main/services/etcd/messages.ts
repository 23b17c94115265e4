// TypeScript shapes of the etcd messages the app uses, as @grpc/proto-loader delivers them with the
// options of src-main/etcdpb/load.ts: proto field names, 64-bit integers as decimal strings, enums as
// names, bytes as Buffer, absent scalars as zero values.

export interface ResponseHeader {
  cluster_id: string
  member_id: string
  revision: string
  raft_term: string
}

export interface KeyValue {
  key: Buffer
  create_revision: string
  mod_revision: string
  version: string
  value: Buffer
  lease: string
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND'
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE'

export interface RangeRequest {
  key: Buffer
  range_end?: Buffer
  limit?: number | string
  revision?: number | string
  sort_order?: SortOrder
  sort_target?: SortTarget
  serializable?: boolean
  keys_only?: boolean
  count_only?: boolean
}

export interface RangeResponse {
  header: ResponseHeader
  kvs: KeyValue[]
  more: boolean
  count: string
}

export interface PutRequest {
  key: Buffer
  value: Buffer
  lease?: string
  prev_kv?: boolean
}

export interface PutResponse {
  header: ResponseHeader
  prev_kv: KeyValue | null
}

export interface DeleteRangeRequest {
  key: Buffer
  range_end?: Buffer
  prev_kv?: boolean
}

export interface DeleteRangeResponse {
  header: ResponseHeader
  deleted: string
  prev_kvs: KeyValue[]
}

export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE'
export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL'

export interface Compare {
  result: CompareResult
  target: CompareTarget
  key: Buffer
  range_end?: Buffer
  version?: string
  create_revision?: string
  mod_revision?: string
  value?: Buffer
  lease?: string
}

export type RequestOp =
  | { request_range: RangeRequest }
  | { request_put: PutRequest }
  | { request_delete_range: DeleteRangeRequest }
  | { request_txn: TxnRequest }

export interface ResponseOp {
  response?: 'response_range' | 'response_put' | 'response_delete_range' | 'response_txn'
  response_range?: RangeResponse
  response_put?: PutResponse
  response_delete_range?: DeleteRangeResponse
  response_txn?: TxnResponse
}

export interface TxnRequest {
  compare: Compare[]
  success: RequestOp[]
  failure: RequestOp[]
}

export interface TxnResponse {
  header: ResponseHeader
  succeeded: boolean
  responses: ResponseOp[]
}

export interface StatusResponse {
  header: ResponseHeader
  version: string
  dbSize: string
  leader: string
  raftIndex: string
  raftTerm: string
  raftAppliedIndex: string
  errors: string[]
  dbSizeInUse: string
  isLearner: boolean
}

export interface Member {
  ID: string
  name: string
  peerURLs: string[]
  clientURLs: string[]
  isLearner: boolean
}

export interface MemberListResponse {
  header: ResponseHeader
  members: Member[]
}

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT'

export interface AlarmMember {
  memberID: string
  alarm: AlarmType
}

export interface AlarmResponse {
  header: ResponseHeader
  alarms: AlarmMember[]
}

export interface HashKVResponse {
  header: ResponseHeader
  hash: number
  compact_revision: string
}

export interface LeaseGrantResponse {
  header: ResponseHeader
  ID: string
  TTL: string
  error: string
}

export interface LeaseTimeToLiveResponse {
  header: ResponseHeader
  ID: string
  TTL: string
  grantedTTL: string
  keys: Buffer[]
}

export interface LeaseLeasesResponse {
  header: ResponseHeader
  leases: { ID: string }[]
}

export interface Event {
  type: 'PUT' | 'DELETE'
  kv: KeyValue
  prev_kv: KeyValue | null
}

export interface WatchResponse {
  header: ResponseHeader
  watch_id: string
  created: boolean
  canceled: boolean
  compact_revision: string
  cancel_reason: string
  fragment: boolean
  events: Event[]
}

export interface SnapshotResponse {
  header: ResponseHeader
  remaining_bytes: string
  blob: Buffer
}
