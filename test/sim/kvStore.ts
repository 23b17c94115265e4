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
  /**
   * The session table (thesis §6.3): per client, the last applied seq and its
   * result, so a retried command is answered without applying it twice.
   */
  private readonly sessions = new Map<number, { seq: number; result: KvResult }>()

  get(key: string): string | null {
    return this.data.get(key) ?? null
  }

  /** The cached result of `seq` for `client`, if that was its last applied command. */
  session(client: number, seq: number): KvResult | undefined {
    const last = this.sessions.get(client)
    return last && last.seq === seq ? last.result : undefined
  }

  /**
   * Applies a command. A retry of the last command returns its cached result;
   * an older command (superseded by a newer one of the same client) is
   * ignored and returns undefined.
   */
  apply(cmd: KvCommand): KvResult | undefined {
    const last = this.sessions.get(cmd.c)
    if (last && cmd.s <= last.seq) return cmd.s === last.seq ? last.result : undefined
    let result: KvResult
    if (cmd.op === 'put') {
      this.data.set(cmd.k, cmd.v)
      result = { kind: 'write' }
    } else {
      const ok = (this.data.get(cmd.k) ?? null) === cmd.f
      if (ok) this.data.set(cmd.k, cmd.t)
      result = { kind: 'cas', ok }
    }
    this.sessions.set(cmd.c, { seq: cmd.s, result })
    return result
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ d: [...this.data], s: [...this.sessions] }))
  }

  static restore(bytes: Uint8Array): KvStore {
    const kv = new KvStore()
    if (bytes.byteLength === 0) return kv
    const o = JSON.parse(dec.decode(bytes)) as { d: [string, string][]; s: [number, { seq: number; result: KvResult }][] }
    for (const [k, v] of o.d) kv.data.set(k, v)
    for (const [c, s] of o.s) kv.sessions.set(c, s)
    return kv
  }

  /** A canonical digest, to compare replicas at the same applied index. */
  digest(): string {
    return JSON.stringify([...this.data].sort())
  }
}
