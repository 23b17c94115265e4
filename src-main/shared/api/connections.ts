import { s } from '../schema'
import type { ConnectionSummary, DoctorReport, KubeadmImport } from '../dto'
import { endpoint, id, method } from './spec'

const tlsSettings = s.object({
  caFile: s.optional(s.string({ max: 4096 })),
  certFile: s.optional(s.string({ max: 4096 })),
  keyFile: s.optional(s.string({ max: 4096 })),
  serverName: s.optional(s.string({ max: 255 })),
  insecureSkipVerify: s.optional(s.boolean()),
})

const sshHostKey = s.object({
  algorithm: s.string({ min: 1, max: 100 }),
  key: s.string({ min: 1, max: 8192, pattern: /^[A-Za-z0-9+/=]+$/ }),
  fingerprint: s.string({ min: 1, max: 200 }),
  trustedAt: s.number({ int: true, min: 0 }),
})

const sshHop = s.object({
  id: s.optional(id),
  host: s.string({ min: 1, max: 255 }),
  port: s.number({ int: true, min: 1, max: 65535 }),
  user: s.string({ min: 1, max: 256 }),
  auth: s.enum(['key', 'agent', 'password'] as const),
  keyFile: s.optional(s.string({ max: 4096 })),
  passphrase: s.optional(s.string({ max: 4096 })),
  password: s.optional(s.string({ max: 4096 })),
  hostKey: s.optional(sshHostKey),
})

const connectionInput = s.object({
  id: s.optional(id),
  name: s.string({ min: 1, max: 100 }),
  color: s.optional(s.string({ max: 20, pattern: /^#[0-9a-fA-F]{6}$/ })),
  endpoints: s.array(endpoint, { max: 32 }),
  tls: s.optional(tlsSettings),
  ssh: s.optional(s.object({ hops: s.array(sshHop, { max: 8 }) })),
  username: s.optional(s.string({ max: 256 })),
  password: s.optional(s.string({ max: 4096 })),
  readOnly: s.optional(s.boolean()),
  production: s.optional(s.boolean()),
})

export const connectionMethods = {
  'connections/list': method<ConnectionSummary[]>()(s.object({})),
  'connections/save': method<ConnectionSummary>()(s.object({ input: connectionInput })),
  'connections/delete': method<null>()(s.object({ id })),
  /** The connection doctor, on a saved connection (id) or on the edit form's settings (input). */
  'connections/test': method<DoctorReport>()(s.object({ id: s.optional(id), input: s.optional(connectionInput) })),
  /** Stores a copy of a PEM file picked in the UI (TLS and SSH private keys sealed); returns the path to reference. */
  'connections/importPem': method<{ path: string }>()(
    s.object({ kind: s.enum(['ca', 'cert', 'key', 'ssh-key'] as const), fileName: s.string({ max: 500 }), pem: s.string({ min: 1, max: 1 << 20 }) }),
  ),
  /**
   * Reads a kubeadm control-plane node's /etc/kubernetes: a local copy (folder), or the last SSH hop of
   * the settings given (input), under root (default /etc/kubernetes). Imports the CA, client certificate and key.
   */
  'connections/kubeadmImport': method<KubeadmImport>()(s.object({ folder: s.optional(s.string({ min: 1, max: 4096 })), input: s.optional(connectionInput), root: s.optional(s.string({ min: 1, max: 4096 })) })),
} as const
