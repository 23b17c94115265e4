/**
 * The request and response shapes of etcd's protocol as @grpc/proto-loader hands them to us
 * (see etcdpb/load.ts: keepCase, longs as strings, enums as names, defaults filled in).
 */
import type { KeyValue } from '../mvcc/types'

export type Int64 = string

export interface RangeRequest {
  key: Buffer
  range_end: Buffer
  limit: Int64
  revision: Int64
  sort_order: 'NONE' | 'ASCEND' | 'DESCEND'
  sort_target: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE'
  serializable: boolean
  keys_only: boolean
  count_only: boolean
  min_mod_revision: Int64
  max_mod_revision: Int64
  min_create_revision: Int64
  max_create_revision: Int64
}

export interface PutRequest {
  key: Buffer
  value: Buffer
  lease: Int64
  prev_kv: boolean
  ignore_value: boolean
  ignore_lease: boolean
}

export interface DeleteRangeRequest {
  key: Buffer
  range_end: Buffer
  prev_kv: boolean
}

export interface RequestOp {
  request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn'
  request_range?: RangeRequest
  request_put?: PutRequest
  request_delete_range?: DeleteRangeRequest
  request_txn?: TxnRequest
}

export interface Compare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL'
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE'
  key: Buffer
  target_union?: 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease'
  version?: Int64
  create_revision?: Int64
  mod_revision?: Int64
  value?: Buffer
  lease?: Int64
  range_end: Buffer
}

export interface TxnRequest {
  compare: Compare[]
  success: RequestOp[]
  failure: RequestOp[]
}

export interface ResponseHeader {
  cluster_id: string
  member_id: string
  revision: Int64
  raft_term: string
}

export interface RangeResponse {
  header?: ResponseHeader
  kvs: KeyValue[]
  more: boolean
  count: Int64
}

export interface PutResponse {
  header?: ResponseHeader
  prev_kv?: KeyValue
}

export interface DeleteRangeResponse {
  header?: ResponseHeader
  deleted: Int64
  prev_kvs: KeyValue[]
}

export interface ResponseOp {
  response_range?: RangeResponse
  response_put?: PutResponse
  response_delete_range?: DeleteRangeResponse
  response_txn?: TxnResponse
}

export interface TxnResponse {
  header?: ResponseHeader
  succeeded: boolean
  responses: ResponseOp[]
}

export interface Member {
  ID: string
  name: string
  peerURLs: string[]
  clientURLs: string[]
  isLearner: boolean
}

/** A member's name and client URLs, published through the log. */
export interface MemberAttributes {
  memberID: string
  name: string
  clientURLs: string[]
}

/** One log entry's payload (raftdeck_internal.proto). */
export interface InternalRequest {
  ID: string
  proposer: string
  /** Null (absent) in entries written before members recorded it. */
  header?: { username: string; auth_revision: string } | null
  request?: string
  put?: PutRequest
  delete_range?: DeleteRangeRequest
  txn?: TxnRequest
  compaction?: { revision: Int64; physical: boolean }
  lease_grant?: { TTL: Int64; ID: Int64 }
  lease_revoke?: { ID: Int64 }
  alarm?: { action: 'GET' | 'ACTIVATE' | 'DEACTIVATE'; memberID: string; alarm: 'NONE' | 'NOSPACE' | 'CORRUPT' }
  lease_checkpoints?: { checkpoints: Array<{ ID: Int64; TTL: Int64 }> }
  member_attributes?: MemberAttributes
  member_change?: { kind: 'ADD' | 'REMOVE' | 'UPDATE' | 'PROMOTE'; member: Member }
  auth_enable?: object
  auth_disable?: object
  auth_user_add?: { name: string; password: string; options?: { no_password: boolean } }
  auth_user_delete?: { name: string }
  auth_user_change_password?: { name: string; password: string }
  auth_user_grant_role?: { user: string; role: string }
  auth_user_revoke_role?: { name: string; role: string }
  auth_role_add?: { name: string }
  auth_role_delete?: { role: string }
  auth_role_grant_permission?: { name: string; perm: { permType: 'READ' | 'WRITE' | 'READWRITE'; key: Buffer; range_end: Buffer } }
  auth_role_revoke_permission?: { role: string; key: Buffer; range_end: Buffer }
  noop?: object
  cluster_version?: { ver: string }
  auth_authenticate?: { name: string; simple_token: string }
}
