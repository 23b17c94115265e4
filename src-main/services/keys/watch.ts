// A live watch on the open folder (a prefix) or the open key, as a stream with an explicit stop. Events
// carry names, revisions and sizes, not values: the editor decides whether to reload.

import type { KeyEvent, KeyWatchBatch } from '../../shared/api/keys'
import type { KvReader } from '../targets'
import type { StreamSink } from '../types'
import { keyName, prefixRange } from './keyBytes'

export function watchKeys(client: KvReader, key: Buffer, prefix: boolean, fromRevision: string | undefined, sink: StreamSink<KeyWatchBatch>): () => void {
  const range = prefix ? prefixRange(key) : { key }
  return client.watch(
    { ...range, ...(fromRevision ? { start_revision: fromRevision } : {}) },
    (r) => {
      if (r.events.length === 0) return
      const events: KeyEvent[] = r.events.map((e) => ({
        type: e.type === 'DELETE' ? 'delete' : 'put',
        key: keyName(e.kv.key),
        modRevision: e.kv.mod_revision,
        version: e.kv.version,
        lease: e.kv.lease,
        size: e.kv.value.length,
      }))
      sink.emit({ revision: r.header.revision, events })
    },
    (err) => sink.end(err ?? undefined),
  )
}
