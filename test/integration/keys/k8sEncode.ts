// A tiny protobuf writer that produces Kubernetes storage values (`k8s\0` + runtime.Unknown) for test
// fixtures, with field numbers from k8s.io/api generated.proto. Test-only: the app never encodes.

type Field = [number, string | Buffer | number | boolean | undefined]

function varint(n: bigint): Buffer {
  const out: number[] = []
  let v = BigInt.asUintN(64, n)
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) b |= 0x80
    out.push(b)
  } while (v > 0n)
  return Buffer.from(out)
}

/** A message from (field number, value): strings and Buffers are length-delimited, numbers varints. */
export function msg(fields: Field[]): Buffer {
  const parts: Buffer[] = []
  for (const [no, v] of fields) {
    if (v === undefined) continue
    if (typeof v === 'number' || typeof v === 'boolean') {
      parts.push(varint(BigInt((no << 3) | 0)), varint(BigInt(typeof v === 'boolean' ? (v ? 1 : 0) : v)))
    } else {
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v
      parts.push(varint(BigInt((no << 3) | 2)), varint(BigInt(b.length)), b)
    }
  }
  return Buffer.concat(parts)
}

const mapEntries = (no: number, m: Record<string, string | Buffer>): Field[] => Object.entries(m).map(([k, v]) => [no, msg([[1, k], [2, v]])])

export function objectMeta(o: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; created?: number }): Buffer {
  return msg([[1, o.name], [3, o.namespace], [5, o.uid ?? `uid-${o.name}`], [6, '12345'], [8, o.created ? msg([[1, o.created]]) : undefined], ...mapEntries(11, o.labels ?? {})])
}

export function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), msg([[1, msg([[1, apiVersion], [2, kind]])], [2, raw], [3, ''], [4, '']])])
}

export function pod(ns: string, name: string, image = 'registry.example/app:1.2.3'): Buffer {
  const container = msg([[1, 'app'], [2, image], [6, msg([[3, 8080], [4, 'TCP']])]])
  const spec = msg([[2, container], [3, 'Always'], [8, 'default'], [10, `node-${name.length % 7}`]])
  const status = msg([[1, 'Running'], [6, '10.0.0.7']])
  return envelope('v1', 'Pod', msg([[1, objectMeta({ name, namespace: ns, labels: { app: name.split('-')[0]! }, created: 1_700_000_000 })], [2, spec], [3, status]]))
}

export function configMap(ns: string, name: string, data: Record<string, string>): Buffer {
  return envelope('v1', 'ConfigMap', msg([[1, objectMeta({ name, namespace: ns })], ...mapEntries(2, data)]))
}

export function secret(ns: string, name: string, data: Record<string, Buffer>): Buffer {
  return envelope('v1', 'Secret', msg([[1, objectMeta({ name, namespace: ns })], ...mapEntries(2, data), [3, 'Opaque']]))
}

export function service(ns: string, name: string, port: number): Buffer {
  const sp = msg([[1, 'http'], [2, 'TCP'], [3, port], [4, msg([[1, 0], [2, 8080]])]])
  return envelope('v1', 'Service', msg([[1, objectMeta({ name, namespace: ns })], [2, msg([[1, sp], [3, '10.96.0.10'], [4, 'ClusterIP']])]]))
}

export function deployment(ns: string, name: string, replicas: number): Buffer {
  return envelope('apps/v1', 'Deployment', msg([[1, objectMeta({ name, namespace: ns })], [2, msg([[1, replicas]])]]))
}

export function namespace(name: string): Buffer {
  return envelope('v1', 'Namespace', msg([[1, objectMeta({ name })], [3, msg([[1, 'Active']])]]))
}

export function lease(ns: string, name: string, holder: string): Buffer {
  return envelope('coordination.k8s.io/v1', 'Lease', msg([[1, objectMeta({ name, namespace: ns })], [2, msg([[1, holder], [2, 40]])]]))
}

export function event(ns: string, name: string, reason: string): Buffer {
  return envelope('v1', 'Event', msg([[1, objectMeta({ name, namespace: ns })], [3, reason], [4, `${reason} happened`], [8, 3], [9, 'Normal']]))
}

/** A kind outside the decoder's table (a custom resource), for the raw field tree. */
export function widget(ns: string, name: string): Buffer {
  return envelope('example.com/v1', 'Widget', msg([[1, objectMeta({ name, namespace: ns })], [2, msg([[1, 'blue'], [2, 7]])]]))
}
