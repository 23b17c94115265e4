// The rules a restore target must meet, written once for both sides: the wizard refuses bad input at
// the field with these messages, and the services refuse the same input again when the plan is made.
// Pure functions, no imports: the renderer uses them too.

import type { EtcdFamily, PlanMemberInput } from './restore'

export const DEFAULT_DATA_DIR = '/var/lib/etcd'
/** etcd's default token: reusing it (or the old cluster's) lets stale members talk to the new cluster. */
export const DEFAULT_TOKEN = 'etcd-cluster'
/** The member ID every member gets from a restore with etcd's default flags (name default, http://localhost:2380, etcd-cluster). */
export const DEFAULT_MEMBER_ID = '8e9e05c52164694d'

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]{3,127}$/
/** Characters a data dir may use, so it can be written into a shell script without quoting surprises. */
const SAFE_PATH = /^\/[A-Za-z0-9._@+/-]*$/
/** Directories that must never be moved aside as "the data dir". */
const SYSTEM_DIRS = new Set(['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/lib', '/var/tmp', '/var/log', '/mnt', '/media'])

export function nameProblem(name: string): string | null {
  if (!name.trim()) return 'A member needs a name.'
  if (!NAME.test(name)) return 'Use letters, digits, dot, dash and underscore (up to 63), starting with a letter or digit.'
  return null
}

export function tokenProblem(token: string): string | null {
  if (!TOKEN.test(token)) return 'A token is 4–128 letters, digits, dots, dashes or underscores.'
  if (token === DEFAULT_TOKEN) return `"${DEFAULT_TOKEN}" is etcd's default token: use a new one, so no old member can join the restored cluster.`
  return null
}

export function dataDirProblem(dir: string): string | null {
  if (!dir.startsWith('/')) return 'The data dir must be an absolute path (it is used on the member’s host).'
  if (!SAFE_PATH.test(dir)) return 'Use only letters, digits and . _ @ + - / in the data dir.'
  if (dir.split('/').some((p) => p === '..' || p === '.')) return 'The data dir must not contain . or .. segments.'
  const clean = dir.length > 1 ? dir.replace(/\/+$/, '') : dir
  if (SYSTEM_DIRS.has(clean)) return `${clean} is a system directory, not a data dir: the restore moves the data dir aside.`
  return null
}

export interface ParsedUrl {
  scheme: 'http' | 'https'
  host: string
  port: number
  loopback: boolean
}

/** etcd URLs: http(s)://host:port with nothing after the port. */
export function parseEtcdUrl(text: string): ParsedUrl | string {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return `"${text}" is not a URL: write http://host:port or https://host:port.`
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${text}": etcd URLs use http or https.`
  if (!u.port) return `"${text}" has no port: etcd needs one (usually 2380 for peers, 2379 for clients).`
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash || u.username) return `"${text}": an etcd URL has nothing after the port.`
  if (!u.hostname) return `"${text}" has no host.`
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || /^127\./.test(host) || host === '::1'
  return { scheme: u.protocol === 'https:' ? 'https' : 'http', host, port: Number(u.port), loopback }
}

export function parseFamily(version: string): { family: EtcdFamily; patch: number | null } | string {
  const m = /^v?3\.([456])(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?$/.exec(version.trim())
  if (!m) return `"${version}": Raftdeck plans restores for etcd 3.4, 3.5 and 3.6 (write 3.5 or an exact version such as 3.5.12).`
  return { family: `3.${m[1]}` as EtcdFamily, patch: m[2] !== undefined ? Number(m[2]) : null }
}

export function unitProblem(unit: string): string | null {
  return /^[A-Za-z0-9@:._-]+$/.test(unit) ? null : 'A systemd unit name such as etcd or etcd.service.'
}

export function manifestProblem(path: string): string | null {
  if (!path.startsWith('/') || !/^\/[A-Za-z0-9._/-]+\.ya?ml$/.test(path)) return 'The absolute path of the static-pod manifest, e.g. /etc/kubernetes/manifests/etcd.yaml.'
  return null
}

/**
 * Every problem of a member list, keyed by field path ("members[1].peerURLs[0]", "members[2].name"),
 * including the ones across members: duplicate names, duplicate peer URLs, a mix of loopback and other
 * hosts (loopback means "this host", which is a different machine for every member).
 */
export function memberProblems(members: readonly PlanMemberInput[]): Record<string, string> {
  const out: Record<string, string> = {}
  if (members.length === 0) out['members'] = 'Add at least one member.'
  const names = new Map<string, number>()
  const peers = new Map<string, number>()
  const hostsLoopback: boolean[] = []
  members.forEach((m, i) => {
    const at = `members[${i}]`
    const np = nameProblem(m.name)
    if (np) out[`${at}.name`] = np
    else if (names.has(m.name)) out[`${at}.name`] = `"${m.name}" is already the name of member ${names.get(m.name)! + 1}: every member needs its own name.`
    else names.set(m.name, i)
    if (m.peerURLs.length === 0) out[`${at}.peerURLs`] = 'A member needs its peer URL (the one in its --initial-advertise-peer-urls).'
    m.peerURLs.forEach((u, j) => {
      const p = parseEtcdUrl(u)
      if (typeof p === 'string') out[`${at}.peerURLs[${j}]`] = p
      else {
        hostsLoopback.push(p.loopback)
        const canon = `${p.scheme}://${p.host}:${p.port}`
        if (peers.has(canon) && peers.get(canon) !== i) out[`${at}.peerURLs[${j}]`] = `${u} is also the peer URL of member ${peers.get(canon)! + 1}: member IDs come from peer URLs, so they must differ.`
        else peers.set(canon, i)
      }
    })
    if (m.clientURLs.length === 0) out[`${at}.clientURLs`] = 'A member needs a client URL (for the checks after the restore).'
    m.clientURLs.forEach((u, j) => {
      const p = parseEtcdUrl(u)
      if (typeof p === 'string') out[`${at}.clientURLs[${j}]`] = p
    })
    const dp = dataDirProblem(m.dataDir)
    if (dp) out[`${at}.dataDir`] = dp
    const v = parseFamily(m.etcdVersion)
    if (typeof v === 'string') out[`${at}.etcdVersion`] = v
    const rp = m.run.kind === 'systemd' ? unitProblem(m.run.unit) : manifestProblem(m.run.manifest)
    if (rp) out[`${at}.run`] = rp
  })
  if (members.length > 1 && hostsLoopback.some((l) => l) && hostsLoopback.some((l) => !l))
    out['members'] = 'Some peer URLs are loopback (localhost, 127.x) and others are not: loopback names a different machine on every member, so the members could never reach each other.'
  return out
}
