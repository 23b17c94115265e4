import { s } from '../schema'
import type { ConnectionSummary, DoctorReport } from '../dto'
import { endpoint, id, method } from './spec'

const tlsSettings = s.object({
  caFile: s.optional(s.string({ max: 4096 })),
  certFile: s.optional(s.string({ max: 4096 })),
  keyFile: s.optional(s.string({ max: 4096 })),
  serverName: s.optional(s.string({ max: 255 })),
  insecureSkipVerify: s.optional(s.boolean()),
})

const connectionInput = s.object({
  id: s.optional(id),
  name: s.string({ min: 1, max: 100 }),
  color: s.optional(s.string({ max: 20, pattern: /^#[0-9a-fA-F]{6}$/ })),
  endpoints: s.array(endpoint, { max: 32 }),
  tls: s.optional(tlsSettings),
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
  /** Stores a copy of a PEM file picked in the UI (private keys sealed); returns the path to reference. */
  'connections/importPem': method<{ path: string }>()(
    s.object({ kind: s.enum(['ca', 'cert', 'key'] as const), fileName: s.string({ max: 500 }), pem: s.string({ min: 1, max: 1 << 20 }) }),
  ),
} as const
