// The Kubernetes-shaped workload of `npm run bench:scale`: what an API server writes to etcd for a
// mid-sized cluster, deterministic for a seed. Values are Kubernetes storage protobufs (`k8s\0` +
// runtime.Unknown) with the sizes real objects have once annotations and managed fields are in.
//
// Keys (about 150,000):
//   pods 36,000 · events 60,000 (on 1-hour leases, as the API server writes them) · configmaps
//   14,000 · secrets 14,000 · services 6,000 · endpoints 6,000 · deployments 4,000 · replicasets
//   8,000 · nodes 1,000 · node leases 1,000 · namespaces 400
// History (a few hundred thousand revisions): node leases renewed and node status written as a
// kubelet does, pod status updates, deployment rollouts; events come and go.
import { envelope, msg, objectMeta } from '../../test/integration/keys/k8sEncode'

export interface Write {
  key: string
  value: Buffer
  /** Index into the lease table (events), or -1. */
  lease: number
}

/** A small deterministic PRNG (xorshift32). */
export class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 1
  }
  next(): number {
    let x = this.s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.s = x >>> 0
    return this.s / 2 ** 32
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  /** Around `mean`, spread ±spread (fraction). */
  around(mean: number, spread = 0.5): number {
    return Math.max(16, Math.round(mean * (1 - spread + 2 * spread * this.next())))
  }
}

/** Printable filler of `n` bytes (annotations, last-applied JSON, managed fields). */
function filler(rng: Rng, n: number): string {
  const words = ['{"apiVersion":"v1"', '"metadata":{"labels":{"app":"web"}}', '"spec":{"containers":[', '"image":"registry.example/app:1.2.3"', '"resources":{"limits":{"cpu":"500m"}}', '"f:status":{}', '"manager":"kubelet"', '"operation":"Update"']
  let s = ''
  while (s.length < n) s += words[rng.int(words.length)]! + ','
  return s.slice(0, n)
}

function object(rng: Rng, apiVersion: string, kind: string, ns: string | undefined, name: string, bytes: number, rv: number): Buffer {
  const meta = msg([
    [1, objectMeta({ name, ...(ns ? { namespace: ns } : {}), uid: `uid-${name}-${rng.int(1e9)}`, labels: { app: name.split('-')[0]!, 'pod-template-hash': String(rng.int(1e6)) }, created: 1_700_000_000 + rng.int(1e6) })],
    [12, msg([[1, 'kubectl.kubernetes.io/last-applied-configuration'], [2, filler(rng, Math.max(0, bytes - 220))]])],
    [6, String(rv)],
  ])
  return envelope(apiVersion, kind, msg([[1, meta], [2, msg([[1, kind.toLowerCase()]])]]))
}

const ns = (i: number) => (i === 0 ? 'kube-system' : i === 1 ? 'default' : `team-${String(i).padStart(3, '0')}`)

export const NAMESPACES = 400
export const NODES = 1000
/** Leases events are attached to (the API server shares one lease among the events of a minute). */
export const EVENT_LEASES = 60

/** Every key created, then the history of updates, in the order a live cluster would write them. */
export function* k8sWrites(seed: number): Generator<Write> {
  const rng = new Rng(seed)
  let rv = 1
  const w = (key: string, value: Buffer, lease = -1): Write => ({ key, value, lease })
  for (let i = 0; i < NAMESPACES; i++) yield w(`/registry/namespaces/${ns(i)}`, object(rng, 'v1', 'Namespace', undefined, ns(i), 300, rv++))
  for (let i = 0; i < NODES; i++) {
    yield w(`/registry/minions/node-${i}`, object(rng, 'v1', 'Node', undefined, `node-${i}`, rng.around(4000), rv++))
    yield w(`/registry/leases/kube-node-lease/node-${i}`, object(rng, 'coordination.k8s.io/v1', 'Lease', 'kube-node-lease', `node-${i}`, 280, rv++))
  }
  const perNs = (n: number) => Math.ceil(n / NAMESPACES)
  for (let i = 0; i < NAMESPACES; i++) {
    const s = ns(i)
    for (let c = 0; c < perNs(14_000); c++) yield w(`/registry/configmaps/${s}/cm-${c}`, object(rng, 'v1', 'ConfigMap', s, `cm-${c}`, c % 97 === 0 ? rng.around(60_000) : rng.around(1100), rv++))
    for (let c = 0; c < perNs(14_000); c++) yield w(`/registry/secrets/${s}/token-${c}`, object(rng, 'v1', 'Secret', s, `token-${c}`, rng.around(900), rv++))
    for (let c = 0; c < perNs(6_000); c++) {
      yield w(`/registry/services/specs/${s}/svc-${c}`, object(rng, 'v1', 'Service', s, `svc-${c}`, rng.around(900), rv++))
      yield w(`/registry/services/endpoints/${s}/svc-${c}`, object(rng, 'v1', 'Endpoints', s, `svc-${c}`, rng.around(700), rv++))
    }
    for (let c = 0; c < perNs(4_000); c++) yield w(`/registry/deployments/${s}/dep-${c}`, object(rng, 'apps/v1', 'Deployment', s, `dep-${c}`, rng.around(2000), rv++))
    for (let c = 0; c < perNs(8_000); c++) yield w(`/registry/replicasets/${s}/dep-${c >> 1}-${c & 1}`, object(rng, 'apps/v1', 'ReplicaSet', s, `dep-${c >> 1}-${c & 1}`, rng.around(1500), rv++))
    for (let c = 0; c < perNs(36_000); c++) yield w(`/registry/pods/${s}/web-${c}`, object(rng, 'v1', 'Pod', s, `web-${c}`, rng.around(1200), rv++))
  }
  // History. Each round: every node lease renewed, a tenth of the nodes post status, pods churn
  // status, events are recorded (and, being on leases, age out in a real cluster).
  let event = 0
  for (let round = 0; round < 120; round++) {
    for (let i = 0; i < NODES; i++) yield w(`/registry/leases/kube-node-lease/node-${i}`, object(rng, 'coordination.k8s.io/v1', 'Lease', 'kube-node-lease', `node-${i}`, 280, rv++))
    for (let i = round % 20; i < NODES; i += 20) yield w(`/registry/minions/node-${i}`, object(rng, 'v1', 'Node', undefined, `node-${i}`, rng.around(4000), rv++))
    for (let k = 0; k < 250; k++) {
      const n = rng.int(NAMESPACES)
      yield w(`/registry/pods/${ns(n)}/web-${rng.int(perNs(36_000))}`, object(rng, 'v1', 'Pod', ns(n), 'web', rng.around(1200), rv++))
    }
    for (let k = 0; k < 500; k++) {
      const n = rng.int(NAMESPACES)
      yield w(`/registry/events/${ns(n)}/web-${event}.17a${event.toString(16)}`, object(rng, 'v1', 'Event', ns(n), `web-${event}`, rng.around(500), rv++), Math.floor(round / 2) % EVENT_LEASES)
      event++
    }
    if (round % 20 === 0) {
      for (let k = 0; k < 100; k++) {
        const n = rng.int(NAMESPACES)
        yield w(`/registry/deployments/${ns(n)}/dep-${rng.int(perNs(4_000))}`, object(rng, 'apps/v1', 'Deployment', ns(n), 'dep', rng.around(2000), rv++))
      }
    }
  }
}
