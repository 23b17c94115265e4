/**
 * `raftdeck member` flags: etcd's names, defaults and start-up checks, parsed without a library
 * so `--flag value`, `--flag=value` and Go's single-dash `-flag` all work as they do for etcd.
 */
import { BCRYPT_DEFAULT_COST, BCRYPT_MAX_COST, BCRYPT_MIN_COST } from './auth/bcrypt'
import { parseAuthToken, type TokenConfig } from './auth/tokens'

export interface MemberConfig {
  name: string
  dataDir: string
  walDir: string
  listenClientUrls: string[]
  advertiseClientUrls: string[]
  listenPeerUrls: string[]
  initialAdvertisePeerUrls: string[]
  /** name → peer URLs, in flag order. */
  initialCluster: Map<string, string[]>
  initialClusterToken: string
  initialClusterState: 'new' | 'existing'
  heartbeatMs: number
  electionMs: number
  snapshotCount: number
  autoCompactionMode: 'periodic' | 'revision'
  autoCompactionRetention: string
  maxRequestBytes: number
  quotaBackendBytes: number
  enableDebugService: boolean
  /** Client TLS (used when a --listen-client-urls URL is https). */
  certFile: string
  keyFile: string
  trustedCaFile: string
  clientCertAuth: boolean
  /** Entries kept behind a snapshot for slow followers (etcd 3.5's experimental flag; 5000). */
  snapshotCatchUpEntries: number
  /** Peer TLS (used when a peer URL is https; peer/tls.ts). */
  peerCertFile: string
  peerKeyFile: string
  peerTrustedCaFile: string
  peerClientCertAuth: boolean
  peerCertAllowedCn: string
  /** HTTP/2 streams one client connection may have open (--max-concurrent-streams). */
  maxConcurrentStreams: number
  /** Connections one client address may have open at once (--max-connections-per-client). */
  maxConnectionsPerClient: number
  /** Most operations in one txn (--max-txn-ops, etcd's 128). */
  maxTxnOps: number
  /** --auth-token: simple tokens or JWTs. */
  authToken: TokenConfig
  /** --auth-token-ttl: seconds a simple token lives after its last use. */
  authTokenTtl: number
  /** --bcrypt-cost for new password hashes. */
  bcryptCost: number
}

export class FlagError extends Error {}

type Kind = 'string' | 'urls' | 'int' | 'bool'

const FLAGS: Record<string, { kind: Kind; def: string }> = {
  name: { kind: 'string', def: 'default' },
  'data-dir': { kind: 'string', def: '' },
  'wal-dir': { kind: 'string', def: '' },
  'listen-client-urls': { kind: 'urls', def: 'http://localhost:2379' },
  'advertise-client-urls': { kind: 'urls', def: 'http://localhost:2379' },
  'listen-peer-urls': { kind: 'urls', def: 'http://localhost:2380' },
  'initial-advertise-peer-urls': { kind: 'urls', def: 'http://localhost:2380' },
  'initial-cluster': { kind: 'string', def: '' },
  'initial-cluster-token': { kind: 'string', def: 'etcd-cluster' },
  'initial-cluster-state': { kind: 'string', def: 'new' },
  'heartbeat-interval': { kind: 'int', def: '100' },
  'election-timeout': { kind: 'int', def: '1000' },
  // etcd 3.4's default.
  'snapshot-count': { kind: 'int', def: '100000' },
  'auto-compaction-mode': { kind: 'string', def: 'periodic' },
  'auto-compaction-retention': { kind: 'string', def: '0' },
  'max-request-bytes': { kind: 'int', def: String(1.5 * 1024 * 1024) },
  // 0 means etcd's default quota of 2 GiB.
  'quota-backend-bytes': { kind: 'int', def: '0' },
  'enable-debug-service': { kind: 'bool', def: 'false' },
  'experimental-snapshot-catchup-entries': { kind: 'int', def: '5000' },
  'cert-file': { kind: 'string', def: '' },
  'key-file': { kind: 'string', def: '' },
  'trusted-ca-file': { kind: 'string', def: '' },
  'client-cert-auth': { kind: 'bool', def: 'false' },
  'peer-cert-file': { kind: 'string', def: '' },
  'peer-key-file': { kind: 'string', def: '' },
  'peer-trusted-ca-file': { kind: 'string', def: '' },
  'peer-client-cert-auth': { kind: 'bool', def: 'false' },
  'peer-cert-allowed-cn': { kind: 'string', def: '' },
  'max-txn-ops': { kind: 'int', def: '128' },
  'max-concurrent-streams': { kind: 'int', def: '1000' },
  'max-connections-per-client': { kind: 'int', def: '256' },
  'auth-token': { kind: 'string', def: 'simple' },
  'auth-token-ttl': { kind: 'int', def: '300' },
  'bcrypt-cost': { kind: 'int', def: String(BCRYPT_DEFAULT_COST) },
}

export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024

function parseUrls(flag: string, v: string): string[] {
  const out = v.split(',').map((s) => s.trim()).filter(Boolean)
  for (const u of out) {
    let url: URL
    try {
      url = new URL(u)
    } catch {
      throw new FlagError(`invalid value "${v}" for flag -${flag}: URL "${u}" is not valid`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FlagError(`invalid value "${v}" for flag -${flag}: URL scheme must be http or https: ${u}`)
    if (!url.port) throw new FlagError(`invalid value "${v}" for flag -${flag}: URL address does not have the form "host:port": ${u}`)
    if (url.pathname !== '/' && url.pathname !== '') throw new FlagError(`invalid value "${v}" for flag -${flag}: URL must not contain a path: ${u}`)
  }
  return out.map((u) => u.replace(/\/$/, ''))
}

function parseInitialCluster(v: string): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new FlagError(`invalid value "${v}" for flag -initial-cluster: "${part}" is not name=url`)
    const name = part.slice(0, eq)
    const urls = parseUrls('initial-cluster', part.slice(eq + 1))
    m.set(name, [...(m.get(name) ?? []), ...urls])
  }
  return m
}

export function parseMemberFlags(argv: string[]): MemberConfig {
  const raw = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('-')) throw new FlagError(`unexpected argument "${arg}" (flags only, e.g. --name n1)`)
    let name = arg.replace(/^--?/, '')
    let value: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) {
      value = name.slice(eq + 1)
      name = name.slice(0, eq)
    }
    const spec = FLAGS[name]
    if (!spec) throw new FlagError(`flag provided but not defined: -${name}`)
    if (value === undefined) {
      if (spec.kind === 'bool') value = 'true'
      else {
        value = argv[++i]
        if (value === undefined) throw new FlagError(`flag needs an argument: -${name}`)
      }
    }
    raw.set(name, value)
  }
  const get = (n: string): string => raw.get(n) ?? FLAGS[n]!.def
  const int = (n: string): number => {
    const v = get(n)
    if (!/^-?\d+$/.test(v)) throw new FlagError(`invalid value "${v}" for flag -${n}: parse error`)
    return Number(v)
  }
  const bool = (n: string): boolean => {
    const v = get(n)
    if (!['true', 'false', '1', '0'].includes(v)) throw new FlagError(`invalid boolean value "${v}" for -${n}`)
    return v === 'true' || v === '1'
  }

  const name = get('name')
  const initialAdvertisePeerUrls = parseUrls('initial-advertise-peer-urls', get('initial-advertise-peer-urls'))
  // Like etcd: without --initial-cluster, the cluster is just this member.
  const initialCluster = raw.has('initial-cluster') ? parseInitialCluster(get('initial-cluster')) : new Map([[name, initialAdvertisePeerUrls]])
  const state = get('initial-cluster-state')
  if (state !== 'new' && state !== 'existing') throw new FlagError(`invalid value "${state}" for flag -initial-cluster-state: valid values are "new", "existing"`)
  const mode = get('auto-compaction-mode')
  if (mode !== 'periodic' && mode !== 'revision') throw new FlagError(`unknown auto-compaction-mode ${JSON.stringify(mode)}`)

  const cfg: MemberConfig = {
    name,
    dataDir: get('data-dir') || `${name}.etcd`,
    walDir: get('wal-dir'),
    listenClientUrls: parseUrls('listen-client-urls', get('listen-client-urls')),
    advertiseClientUrls: parseUrls('advertise-client-urls', get('advertise-client-urls')),
    listenPeerUrls: parseUrls('listen-peer-urls', get('listen-peer-urls')),
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterToken: get('initial-cluster-token'),
    initialClusterState: state,
    heartbeatMs: int('heartbeat-interval'),
    electionMs: int('election-timeout'),
    snapshotCount: int('snapshot-count'),
    autoCompactionMode: mode,
    autoCompactionRetention: get('auto-compaction-retention'),
    maxRequestBytes: int('max-request-bytes'),
    quotaBackendBytes: int('quota-backend-bytes'),
    enableDebugService: bool('enable-debug-service'),
    snapshotCatchUpEntries: int('experimental-snapshot-catchup-entries'),
    certFile: get('cert-file'),
    keyFile: get('key-file'),
    trustedCaFile: get('trusted-ca-file'),
    clientCertAuth: bool('client-cert-auth'),
    peerCertFile: get('peer-cert-file'),
    peerKeyFile: get('peer-key-file'),
    peerTrustedCaFile: get('peer-trusted-ca-file'),
    peerClientCertAuth: bool('peer-client-cert-auth'),
    peerCertAllowedCn: get('peer-cert-allowed-cn'),
    maxTxnOps: int('max-txn-ops'),
    maxConcurrentStreams: int('max-concurrent-streams'),
    maxConnectionsPerClient: int('max-connections-per-client'),
    authToken: authToken(get('auth-token')),
    authTokenTtl: int('auth-token-ttl'),
    bcryptCost: int('bcrypt-cost'),
  }
  validate(cfg)
  return cfg
}

function authToken(v: string): TokenConfig {
  try {
    return parseAuthToken(v)
  } catch (err) {
    throw new FlagError((err as Error).message)
  }
}

function validate(c: MemberConfig): void {
  if (c.heartbeatMs <= 0) throw new FlagError(`--heartbeat-interval must be greater than 0 (got ${c.heartbeatMs})`)
  if (5 * c.heartbeatMs > c.electionMs) {
    throw new FlagError(`--election-timeout[${c.electionMs}ms] should be at least as 5 times as --heartbeat-interval[${c.heartbeatMs}ms]`)
  }
  if (c.electionMs > 50000) throw new FlagError(`--election-timeout[${c.electionMs}ms] is too long, and should be set less than 50000ms`)
  if (c.snapshotCount <= 0) throw new FlagError(`--snapshot-count must be greater than 0`)
  if (c.snapshotCatchUpEntries < 1) throw new FlagError(`--experimental-snapshot-catchup-entries must be greater than 0`)
  if (c.maxRequestBytes <= 0) throw new FlagError(`--max-request-bytes must be greater than 0`)
  if (c.quotaBackendBytes < 0) throw new FlagError(`--quota-backend-bytes must not be negative`)
  if (c.maxTxnOps <= 0) throw new FlagError(`--max-txn-ops must be greater than 0`)
  if (c.maxConcurrentStreams <= 0) throw new FlagError(`--max-concurrent-streams must be greater than 0`)
  if (c.maxConnectionsPerClient <= 0) throw new FlagError(`--max-connections-per-client must be greater than 0`)
  if (c.authTokenTtl <= 0) throw new FlagError(`--auth-token-ttl must be greater than 0`)
  if (c.bcryptCost < BCRYPT_MIN_COST || c.bcryptCost > BCRYPT_MAX_COST) throw new FlagError(`--bcrypt-cost must be between ${BCRYPT_MIN_COST} and ${BCRYPT_MAX_COST} (got ${c.bcryptCost})`)
  const mine = c.initialCluster.get(c.name)
  if (!mine) throw new FlagError(`couldn't find local name "${c.name}" in the initial cluster configuration`)
  const a = [...mine].sort().join(',')
  const b = [...c.initialAdvertisePeerUrls].sort().join(',')
  if (a !== b) {
    throw new FlagError(`--initial-cluster has ${c.name}=${mine.join(',')} but missing from --initial-advertise-peer-urls=${c.initialAdvertisePeerUrls.join(',')}`)
  }
  parseRetention(c)
  const https = c.listenClientUrls.some((u) => u.startsWith('https:'))
  if (https && (!c.certFile || !c.keyFile)) throw new FlagError(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${c.listenClientUrls.find((u) => u.startsWith('https:'))} with HTTPS scheme`)
  if (c.clientCertAuth && !c.trustedCaFile) throw new FlagError('--client-cert-auth requires --trusted-ca-file')
  const httpsPeer = c.listenPeerUrls.find((u) => u.startsWith('https:'))
  if (httpsPeer && (!c.peerCertFile || !c.peerKeyFile)) throw new FlagError(`TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url ${httpsPeer} with HTTPS scheme`)
  if (Boolean(c.peerCertFile) !== Boolean(c.peerKeyFile)) throw new FlagError('--peer-cert-file and --peer-key-file go together')
  if (c.peerClientCertAuth && !c.peerTrustedCaFile) throw new FlagError('--peer-client-cert-auth requires --peer-trusted-ca-file')
  if (c.peerCertAllowedCn && !c.peerClientCertAuth) throw new FlagError('--peer-cert-allowed-cn requires --peer-client-cert-auth')
}

/** Auto-compaction retention: periodic takes a duration ("1h", "30m", or hours as a number); revision takes a count. */
export function parseRetention(c: Pick<MemberConfig, 'autoCompactionMode' | 'autoCompactionRetention'>): number {
  const v = c.autoCompactionRetention
  if (c.autoCompactionMode === 'revision') {
    if (!/^\d+$/.test(v)) throw new FlagError(`invalid auto-compaction-retention "${v}" for revision mode`)
    return Number(v)
  }
  if (/^\d+$/.test(v)) return Number(v) * 3600_000
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)
  if (!m) throw new FlagError(`invalid auto-compaction-retention "${v}"`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
  return Number(m[1]) * unit
}

export function quotaBytes(c: MemberConfig): number {
  if (c.quotaBackendBytes === 0) return DEFAULT_QUOTA_BYTES
  return Math.min(c.quotaBackendBytes, MAX_QUOTA_BYTES)
}
