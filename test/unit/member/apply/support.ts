// A last layer that records what reached it, for testing one apply layer at a time.
import type { Applier, AuthInfo } from '../../../../src-main/member/server/apply/applier'
import type { InternalRequest, PutRequest, TxnRequest } from '../../../../src-main/member/server/pb'

export class RecordingApplier implements Applier {
  readonly calls: string[] = []
  put() {
    this.calls.push('put')
    return {}
  }
  deleteRange() {
    this.calls.push('deleteRange')
    return { deleted: '1', prev_kvs: [] }
  }
  txn() {
    this.calls.push('txn')
    return { succeeded: true, responses: [] }
  }
  compaction() {
    this.calls.push('compaction')
    return {}
  }
  leaseGrant() {
    this.calls.push('leaseGrant')
    return { ID: '1', TTL: '10', error: '' }
  }
  leaseRevoke() {
    this.calls.push('leaseRevoke')
    return {}
  }
  control(req: InternalRequest, _ai: AuthInfo | undefined) {
    this.calls.push(`control:${req.request}`)
    return {}
  }
}

export const put = (key: string, value = 'v', lease = '0', prevKv = false): PutRequest => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  lease,
  prev_kv: prevKv,
  ignore_value: false,
  ignore_lease: false,
})

export const del = (key: string, end = '') => ({ key: Buffer.from(key), range_end: Buffer.from(end), prev_kv: false })

export const txn = (ops: TxnRequest['success']): TxnRequest => ({ compare: [], success: ops, failure: [] })

/** The message of the error `fn` throws, or 'ok'. */
export function outcome(fn: () => unknown): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return (err as Error).message
  }
}
