// Data shapes that cross the API boundary. Plain JSON: no classes, no bigint (64-bit etcd IDs travel
// as decimal strings so no precision is lost in JavaScript numbers).

export type ShellKind = 'electron' | 'browser'

export interface AppInfo {
  name: string
  version: string
  shell: ShellKind
  platform: string
  /** Where Raftdeck keeps playgrounds, profiles and backups. */
  dataDir: string
  /** An etcd binary found on this machine, for the real-etcd playground engine; null when none. */
  etcdBinary: string | null
  /** How secrets in connection profiles are protected on this shell. */
  secretStorage: 'os-keychain' | 'key-file'
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface LogEntry {
  /** Milliseconds since the epoch. */
  time: number
  level: LogLevel
  /** Which part of the app wrote it: 'app', 'playground/demo/n1', 'backup/nightly'… */
  source: string
  message: string
}

// ---- Connections ---------------------------------------------------------------------------

export interface TlsSettings {
  /** Paths of PEM files on this machine. */
  caFile?: string
  certFile?: string
  keyFile?: string
  /** Verify the server certificate against this name instead of the endpoint host. */
  serverName?: string
  /** Skip server certificate verification: insecure, shown as such everywhere. */
  insecureSkipVerify?: boolean
}

/** What the user edits. The password is write-only: it never comes back from the services. */
export interface ConnectionInput {
  id?: string
  name: string
  color?: string
  endpoints: string[]
  tls?: TlsSettings
  username?: string
  /** undefined: keep the stored password; '': remove it. */
  password?: string
  readOnly?: boolean
  production?: boolean
}

export interface ConnectionSummary {
  id: string
  name: string
  color: string
  endpoints: string[]
  tls: TlsSettings | null
  username: string | null
  hasPassword: boolean
  readOnly: boolean
  production: boolean
  createdAt: number
  updatedAt: number
}

export type DoctorProblem =
  | 'invalid-endpoint'
  | 'dns'
  | 'connection-refused'
  | 'timeout'
  | 'unreachable'
  | 'not-tls'
  | 'tls-expected'
  | 'tls-handshake'
  | 'tls-verify'
  | 'unknown-authority'
  | 'name-mismatch'
  | 'server-cert-expired'
  | 'server-cert-not-yet-valid'
  | 'client-cert-required'
  | 'client-cert-rejected'
  | 'bad-key'
  | 'key-mismatch'
  | 'bad-certificate'
  | 'file-unreadable'
  | 'cert-without-key'
  | 'client-cert-expired'
  | 'client-cert-not-yet-valid'
  | 'auth-failed'
  | 'auth-not-enabled'
  | 'permission-denied'
  | 'old-version'
  | 'etcd-error'

export interface DoctorStep {
  name: 'files' | 'dns' | 'tcp' | 'tls' | 'etcd' | 'auth'
  ok: boolean
  ms: number
  note: string
}

export interface EndpointVerdict {
  endpoint: string
  status: 'ok' | 'warn' | 'fail'
  problem?: DoctorProblem
  message: string
  fix: string
  steps: DoctorStep[]
  details: {
    version?: string
    memberId?: string
    clusterId?: string
    leader?: string
    latencyMs?: number
    serverCertificate?: { subject: string; issuer: string; names: string[]; validFrom: string; validTo: string }
  }
}

export interface DoctorReport {
  ok: boolean
  verdicts: EndpointVerdict[]
}

// ---- Clusters --------------------------------------------------------------------------------

/** What a cluster view, key browser or backup points at. A snapshot file opened read-only is a target of the key editor only. */
export type Target = { kind: 'connection'; id: string } | { kind: 'playground'; id: string } | { kind: 'snapshot'; id: string }

export interface EndpointStatus {
  endpoint: string
  ok: boolean
  error?: string
  memberId?: string
  /** The cluster ID this endpoint reports (Status header). */
  clusterId?: string
  /** The member's current revision (from the Status response header). */
  revision?: string
  version?: string
  dbSize?: number
  dbSizeInUse?: number
  leader?: string
  raftTerm?: string
  raftIndex?: string
  raftAppliedIndex?: string
  isLearner?: boolean
  errors?: string[]
  /** Round trip of the Status call. */
  latencyMs?: number
}

export interface MemberInfo {
  id: string
  name: string
  peerURLs: string[]
  clientURLs: string[]
  isLearner: boolean
}

export interface AlarmInfo {
  memberId: string
  alarm: 'NOSPACE' | 'CORRUPT' | 'NONE'
}

export interface ClusterStatus {
  target: Target
  /** Milliseconds since the epoch when this status was taken. */
  time: number
  clusterId: string | null
  leaderId: string | null
  revision: string | null
  endpoints: EndpointStatus[]
  members: MemberInfo[]
  alarms: AlarmInfo[]
  /** Set when no endpoint answered at all. */
  error?: string
  /**
   * Set when the endpoints do not form one cluster: they disagree about the leader, report different
   * cluster IDs, share a member ID, or return member lists that do not match each other or the
   * endpoints given. Shown first and loudly: a split cluster serves diverging data.
   */
  split?: SplitDiagnosis | null
  /** Per endpoint: the cluster ID it reports and the member list it returns (decimal IDs). */
  views?: EndpointView[]
}

export interface EndpointView {
  endpoint: string
  clusterId?: string
  memberId?: string
  /** Its own member's name, from its own member list. */
  name?: string
  leader?: string
  members?: string[]
}

export type SplitSymptom = 'several-leaders' | 'leader-disagreement' | 'cluster-ids' | 'repeated-member-id' | 'member-lists'

export interface SplitDiagnosis {
  symptoms: SplitSymptom[]
  /** One sentence, said first. */
  headline: string
  /** What happened, as far as the answers show. */
  cause: string
  /** What to do. */
  fix: string
  /** The facts behind it, one line each ("https://10.0.0.1:2379: member 8e9e…, leader of itself, cluster cdf8…"). */
  facts: string[]
}

export interface HashKvResult {
  revision: string
  members: { endpoint: string; memberId?: string; hash?: number; compactRevision?: string; error?: string }[]
  consistent: boolean
}
