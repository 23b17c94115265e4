// Data shapes that cross the API boundary. Plain JSON: no classes, no bigint (64-bit etcd IDs travel
// as decimal strings so no precision is lost in JavaScript numbers).

import type { Msg } from './i18n/message'

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

/** The languages of the UI. The CLI stays English. */
export const UI_LOCALES = ['en', 'zh-CN'] as const
export type UiLocale = (typeof UI_LOCALES)[number]

/** The closest UI language to a BCP 47 tag (navigator.language, Electron's app.getLocale()): any Chinese tag goes to zh-CN. */
export function localeFromTag(tag: string | undefined | null): UiLocale {
  return (tag ?? '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

/** The areas of the main window, in tab order. */
export const AREAS = ['cluster', 'keys', 'backups', 'restore', 'activity'] as const
export type Area = (typeof AREAS)[number]

/** Where the window was: the cluster selected in the sidebar and the area open. */
export interface LastView {
  target: { kind: 'connection' | 'playground'; id: string } | null
  area: Area
}

/** What the app remembers about the user across runs (kept by the services, so both shells share it). */
export interface AppSettings {
  /** The chosen language; null follows the system's. */
  locale: UiLocale | null
  /** null until the window has shown something: the first run. */
  lastView: LastView | null
  /** The first-run tour was finished or dismissed. */
  tourDone: boolean
  /** No view was ever recorded: the window opens for the first time (it then opens the new playground). */
  firstRun: boolean
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

// ---- SSH tunnels ----

export type SshAuthMethod = 'key' | 'agent' | 'password'

/** A host key the user confirmed: the key itself, not only its fingerprint. */
export interface SshHostKey {
  /** Key type as in known_hosts: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, … */
  algorithm: string
  /** The public key blob, base64 (as in known_hosts). */
  key: string
  /** OpenSSH's fingerprint, SHA256:… */
  fingerprint: string
  /** When it was confirmed (ms since the epoch). */
  trustedAt: number
}

/** One SSH server on the way to etcd. */
export interface SshHop {
  id: string
  host: string
  port: number
  user: string
  auth: SshAuthMethod
  /** auth 'key': the private key file (OpenSSH or PEM); keys imported from the UI are stored sealed. */
  keyFile?: string
  /** The confirmed host key; absent until the user confirms one. */
  hostKey?: SshHostKey
}

/** What the user edits. Passphrase and password are write-only: undefined keeps the stored one, '' removes it. */
export interface SshHopInput extends Omit<SshHop, 'id'> {
  id?: string
  passphrase?: string
  password?: string
}

export interface SshHopSummary extends SshHop {
  hasPassphrase: boolean
  hasPassword: boolean
}

/**
 * An SSH tunnel: the first hop is reached directly, each next one through the previous one (jump
 * hosts), and the last one forwards every etcd connection of the profile.
 */
export interface SshTunnelInput {
  hops: SshHopInput[]
}

export interface SshTunnelSettings {
  hops: SshHopSummary[]
}

/** A host key offered by a server that the profile does not trust yet (or that differs from the trusted one). */
export interface SshHostKeyOffer {
  /** Index of the hop in the tunnel. */
  hop: number
  host: string
  port: number
  algorithm: string
  key: string
  fingerprint: string
  /** A changed key: what is trusted instead. */
  trusted?: { algorithm: string; fingerprint: string }[]
}

// ---- Certificates ----

/** Certificates within this many days of their end are flagged. */
export const EXPIRY_WARN_DAYS = 30

export interface CertificateInfo {
  role: 'ca' | 'client' | 'server'
  /** A file path, or the endpoint whose TLS handshake presented the certificate. */
  source: string
  subject: string
  issuer: string
  /** ISO 8601. */
  validFrom: string
  validTo: string
  /** Whole days until validTo; negative once expired. */
  daysLeft: number
  status: 'ok' | 'warn' | 'expired' | 'not-yet-valid'
  /** When it was read (ms since the epoch): server certificates are as the doctor last saw them. */
  checkedAt: number
}

/** What the user edits. The password is write-only: it never comes back from the services. */
export interface ConnectionInput {
  id?: string
  name: string
  color?: string
  endpoints: string[]
  tls?: TlsSettings
  /** Reach the endpoints through an SSH tunnel; absent or no hops: connect directly. */
  ssh?: SshTunnelInput
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
  ssh: SshTunnelSettings | null
  username: string | null
  hasPassword: boolean
  readOnly: boolean
  production: boolean
  createdAt: number
  updatedAt: number
  /** CA and client certificate (read from their files now) and server certificates (as last seen by the doctor). */
  certificates: CertificateInfo[]
}

/** What a kubeadm control-plane node (or a copy of its /etc/kubernetes) gave. */
export interface KubeadmImport {
  /** 'folder /path' or 'user@host:port:/path'. */
  source: string
  /** The kubeadm folder the finding paths are in (/etc/kubernetes or its copy). */
  root: string
  endpoints: string[]
  /** Paths of the imported copies (keys sealed), ready for the profile. */
  tls: TlsSettings
  /** Every file looked for, in order, found or not. */
  findings: { what: string; path: string; found: boolean; note: string; whatMsg?: Msg; noteMsg?: Msg }[]
  certificates: CertificateInfo[]
  warnings: string[]
  /** The warnings as messages, for the UI's language (same order as `warnings`). */
  warningMsgs?: Msg[]
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
  // SSH tunnel
  | 'ssh-key-unreadable'
  | 'ssh-key-invalid'
  | 'ssh-key-passphrase-needed'
  | 'ssh-key-passphrase-wrong'
  | 'ssh-agent-unavailable'
  | 'ssh-password-missing'
  | 'ssh-invalid-settings'
  | 'ssh-dns'
  | 'ssh-connection-refused'
  | 'ssh-unreachable'
  | 'ssh-timeout'
  | 'ssh-not-ssh'
  | 'ssh-handshake'
  | 'ssh-host-key-unknown'
  | 'ssh-host-key-changed'
  | 'ssh-host-key-revoked'
  | 'ssh-auth-failed'
  | 'ssh-disconnected'
  | 'forward-refused'
  | 'forward-failed'

export interface DoctorStep {
  name: 'files' | 'dns' | 'tcp' | 'tls' | 'etcd' | 'auth' | 'ssh-files' | 'ssh-dns' | 'ssh-tcp' | 'host-key' | 'ssh-auth' | 'forward'
  ok: boolean
  ms: number
  note: string
  /** The note as a message, for the UI's language (absent where the note is a bare code or address). */
  noteMsg?: Msg
}

export interface EndpointVerdict {
  endpoint: string
  status: 'ok' | 'warn' | 'fail'
  problem?: DoctorProblem
  message: string
  fix: string
  /** message and fix as messages, for the UI's language (message and fix stay their English text, for the CLI). */
  msg?: Msg
  fixMsg?: Msg
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

/** The SSH stage of the doctor: every hop, in order, before any endpoint is tried. */
export interface TunnelVerdict {
  status: 'ok' | 'fail'
  /** user@host:port of each hop. */
  hops: string[]
  problem?: DoctorProblem
  /** The stage that failed or timed out. */
  stage?: DoctorStep['name']
  message: string
  fix: string
  msg?: Msg
  fixMsg?: Msg
  steps: DoctorStep[]
  /** A host key to confirm (unknown) or to compare (changed). */
  hostKey?: SshHostKeyOffer
}

export interface DoctorReport {
  ok: boolean
  /** Present when the connection goes through an SSH tunnel. When it failed, no endpoint was tried. */
  tunnel?: TunnelVerdict
  verdicts: EndpointVerdict[]
  /** CA, client and server certificates with their expiry, as far as the doctor got. */
  certificates?: CertificateInfo[]
}

// ---- Clusters --------------------------------------------------------------------------------

/** What a cluster view, key browser or backup points at. A snapshot file opened read-only is a target of the key editor only. */
export type Target = { kind: 'connection'; id: string } | { kind: 'playground'; id: string } | { kind: 'snapshot'; id: string }

export interface EndpointStatus {
  endpoint: string
  ok: boolean
  error?: string
  /** error as a message, for the UI's language. */
  errorMsg?: Msg
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
  errorMsg?: Msg
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
  /** The same as messages the UI translates (the English above is what the CLI and logs print). */
  msgs?: { headline?: Msg; cause?: Msg; fix?: Msg; facts?: Msg[] }
}

export interface HashKvResult {
  revision: string
  members: { endpoint: string; memberId?: string; hash?: number; compactRevision?: string; error?: string; errorMsg?: Msg }[]
  consistent: boolean
}
