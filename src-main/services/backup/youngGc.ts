// Frees the buffers a snapshot stream leaves behind, as it goes.
//
// Each 32 KiB message of Maintenance.Snapshot arrives in buffers that HTTP/2 and grpc-js allocate
// (about 64 KiB outside V8's heap per message) and that are garbage a moment later. V8 frees them
// only when it collects its young generation, and it does that when the young generation's *own*
// objects fill it. With the hand-written decoder a message makes so few objects that the dead
// buffers piled up to 30–50 MiB between collections (peak RSS 160–185 MiB instead of 130). A minor
// collection (a scavenge: about a millisecond, only young objects) every 2 MiB received keeps them
// to a few MiB.
//
// `gc` is not exposed without a flag; V8 lets a running process set it for contexts created later,
// which is the documented way (node's v8.setFlagsFromString). Where that fails, nothing happens.

import v8 from 'node:v8'
import vm from 'node:vm'

type Gc = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void

let gc: Gc | null | undefined

/** A scavenge of V8's young generation, if the runtime allows it. */
export function collectYoungGeneration(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc')
      const fn: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null')
      gc = typeof fn === 'function' ? (fn as Gc) : null
    } catch {
      gc = null
    }
  }
  gc?.({ type: 'minor' })
}
