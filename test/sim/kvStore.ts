// The replicated state machine the simulated clients use: string keys and
// values, put and compare-and-set. Each command carries (client, seq); a
// command is applied at most once, so a proposal the network duplicated (or
// a client retried) cannot take effect twice (Raft thesis §6.3).

const enc = new TextEncoder()
const dec = new TextDecoder()

export type KvCommand =
  | { readonly c: number; readonly s: number; readonly op: 'put'; readonly k: string; readonly v: string }
  | { readonly c: number; readonly s: number; readonly op: 'cas'; readonly k: string; readonly f: string | null; readonly t: string }

export type KvResult = { readonly kind: 'write' } | { readonly kind: 'cas'; readonly ok: boolean }

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(cmd))
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(dec.decode(data)) as KvCommand
}

export class KvStore {
  private readonly data = new Map<string, string>()
  /** Highest seq applied per client: commands are sequential per client. */
  private readonly lastSeq = new Map<number, number>()

  get(key: string): string | null {
    return this.data.get(key) ?? null
  }

  /** Applies a command; returns undefined if it was a duplicate (already applied or superseded). */
  apply(cmd: KvCommand): KvResult | undefined {
    const last = this.lastSeq.get(cmd.c) ?? -1
    if (cmd.s <= last) return undefined
    this.lastSeq.set(cmd.c, cmd.s)
    if (cmd.op === 'put') {
      this.data.set(cmd.k, cmd.v)
      return { kind: 'write' }
    }
    const ok = (this.data.get(cmd.k) ?? null) === cmd.f
    if (ok) this.data.set(cmd.k, cmd.t)
    return { kind: 'cas', ok }
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ d: [...this.data], s: [...this.lastSeq] }))
  }

  static restore(bytes: Uint8Array): KvStore {
    const kv = new KvStore()
    if (bytes.byteLength === 0) return kv
    const o = JSON.parse(dec.decode(bytes)) as { d: [string, string][]; s: [number, number][] }
    for (const [k, v] of o.d) kv.data.set(k, v)
    for (const [c, s] of o.s) kv.lastSeq.set(c, s)
    return kv
  }

  /** A canonical digest, to compare replicas at the same applied index. */
  digest(): string {
    return JSON.stringify([...this.data].sort())
  }
}
