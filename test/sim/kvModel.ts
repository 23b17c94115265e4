// The sequential specification of the simulated key-value store, per key: a
// register with read, write and compare-and-set. Used by the checker.

import type { Model, Operation } from './linearizability'

export type KvInput =
  | { readonly kind: 'read'; readonly key: string }
  | { readonly kind: 'write'; readonly key: string; readonly value: string }
  | { readonly kind: 'cas'; readonly key: string; readonly from: string | null; readonly to: string }

/** `unknown` marks an operation whose effect was never acknowledged. */
export type KvOutput =
  | { readonly kind: 'read'; readonly value: string | null }
  | { readonly kind: 'write' }
  | { readonly kind: 'cas'; readonly ok: boolean }
  | { readonly kind: 'unknown' }

export type KvOperation = Operation<KvInput, KvOutput>

export const kvModel: Model<string | null, KvInput, KvOutput> = {
  partition(ops) {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>()
    for (const op of ops) {
      let list = byKey.get(op.input.key)
      if (!list) byKey.set(op.input.key, (list = []))
      list.push(op)
    }
    return [...byKey.values()]
  },
  init: () => null,
  step(s, input, output) {
    switch (input.kind) {
      case 'read':
        if (output.kind === 'unknown') return { ok: true, next: s }
        return { ok: output.kind === 'read' && output.value === s, next: s }
      case 'write':
        return { ok: true, next: input.value }
      case 'cas': {
        const matches = s === input.from
        if (output.kind === 'unknown') return { ok: true, next: matches ? input.to : s }
        if (output.kind !== 'cas') return { ok: false, next: s }
        return output.ok ? { ok: matches, next: input.to } : { ok: !matches, next: s }
      }
    }
  },
  stateKey: (s) => (s === null ? '\u0000' : s),
}
