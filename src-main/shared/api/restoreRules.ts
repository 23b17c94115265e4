// The rules a restore target must meet, written once for both sides: the wizard refuses bad input at
// the field with these messages, and the services refuse the same input again when the plan is made.
// Pure functions: the renderer uses them too. Each problem is a message of the service catalog
// (restore.rules.*), so the wizard shows it in the UI's language; the *Problem functions and
// memberProblems give the English text, for the services' errors and the CLI.

import { formatMessage, msg, type Msg } from '../i18n/message'
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

const english = (m: Msg | null): string | null => (m ? formatMessage(m) : null)

export function nameProblemMsg(name: string): Msg | null {
  if (!name.trim()) return msg('restore.rules.nameMissing')
  if (!NAME.test(name)) return msg('restore.rules.nameChars')
  return null
}
export const nameProblem = (name: string): string | null => english(nameProblemMsg(name))

export function tokenProblemMsg(token: string): Msg | null {
  if (!TOKEN.test(token)) return msg('restore.rules.tokenChars')
  if (token === DEFAULT_TOKEN) return msg('restore.rules.tokenDefault', { token: DEFAULT_TOKEN })
  return null
}
export const tokenProblem = (token: string): string | null => english(tokenProblemMsg(token))

export function dataDirProblemMsg(dir: string): Msg | null {
  if (!dir.startsWith('/')) return msg('restore.rules.dirAbsolute')
  if (!SAFE_PATH.test(dir)) return msg('restore.rules.dirChars')
  if (dir.split('/').some((p) => p === '..' || p === '.')) return msg('restore.rules.dirDots')
  const clean = dir.length > 1 ? dir.replace(/\/+$/, '') : dir
  if (SYSTEM_DIRS.has(clean)) return msg('restore.rules.dirSystem', { dir: clean })
  return null
}
export const dataDirProblem = (dir: string): string | null => english(dataDirProblemMsg(dir))

export interface ParsedUrl {
  scheme: 'http' | 'https'
  host: string
  port: number
  loopback: boolean
}

/** etcd URLs: http(s)://host:port with nothing after the port; otherwise the problem. */
export function parseEtcdUrlMsg(text: string): ParsedUrl | Msg {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return msg('restore.rules.urlInvalid', { url: text })
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return msg('restore.rules.urlScheme', { url: text })
  if (!u.port) return msg('restore.rules.urlNoPort', { url: text })
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash || u.username) return msg('restore.rules.urlPath', { url: text })
  if (!u.hostname) return msg('restore.rules.urlNoHost', { url: text })
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || /^127\./.test(host) || host === '::1'
  return { scheme: u.protocol === 'https:' ? 'https' : 'http', host, port: Number(u.port), loopback }
}

/** etcd URLs: http(s)://host:port with nothing after the port; otherwise the problem in English. */
export function parseEtcdUrl(text: string): ParsedUrl | string {
  const p = parseEtcdUrlMsg(text)
  return 'key' in p ? formatMessage(p) : p
}

export function parseFamilyMsg(version: string): { family: EtcdFamily; patch: number | null } | Msg {
  const m = /^v?3\.([456])(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?$/.exec(version.trim())
  if (!m) return msg('restore.rules.version', { version })
  return { family: `3.${m[1]}` as EtcdFamily, patch: m[2] !== undefined ? Number(m[2]) : null }
}

export function parseFamily(version: string): { family: EtcdFamily; patch: number | null } | string {
  const p = parseFamilyMsg(version)
  return 'key' in p ? formatMessage(p) : p
}

export function unitProblemMsg(unit: string): Msg | null {
  return /^[A-Za-z0-9@:._-]+$/.test(unit) ? null : msg('restore.rules.unit')
}
export const unitProblem = (unit: string): string | null => english(unitProblemMsg(unit))

export function manifestProblemMsg(path: string): Msg | null {
  if (!path.startsWith('/') || !/^\/[A-Za-z0-9._/-]+\.ya?ml$/.test(path)) return msg('restore.rules.manifest')
  return null
}
export const manifestProblem = (path: string): string | null => english(manifestProblemMsg(path))

/**
 * Every problem of a member list, keyed by field path ("members[1].peerURLs[0]", "members[2].name"),
 * including the ones across members: duplicate names, duplicate peer URLs, a mix of loopback and other
 * hosts (loopback means "this host", which is a different machine for every member).
 */
export function memberProblemMsgs(members: readonly PlanMemberInput[]): Record<string, Msg> {
  const out: Record<string, Msg> = {}
  if (members.length === 0) out['members'] = msg('restore.rules.noMembers')
  const names = new Map<string, number>()
  const peers = new Map<string, number>()
  const hostsLoopback: boolean[] = []
  members.forEach((m, i) => {
    const at = `members[${i}]`
    const np = nameProblemMsg(m.name)
    if (np) out[`${at}.name`] = np
    else if (names.has(m.name)) out[`${at}.name`] = msg('restore.rules.nameTaken', { name: m.name, index: String(names.get(m.name)! + 1) })
    else names.set(m.name, i)
    if (m.peerURLs.length === 0) out[`${at}.peerURLs`] = msg('restore.rules.peerMissing')
    m.peerURLs.forEach((u, j) => {
      const p = parseEtcdUrlMsg(u)
      if ('key' in p) out[`${at}.peerURLs[${j}]`] = p
      else {
        hostsLoopback.push(p.loopback)
        const canon = `${p.scheme}://${p.host}:${p.port}`
        if (peers.has(canon) && peers.get(canon) !== i) out[`${at}.peerURLs[${j}]`] = msg('restore.rules.peerTaken', { url: u, index: String(peers.get(canon)! + 1) })
        else peers.set(canon, i)
      }
    })
    if (m.clientURLs.length === 0) out[`${at}.clientURLs`] = msg('restore.rules.clientMissing')
    m.clientURLs.forEach((u, j) => {
      const p = parseEtcdUrlMsg(u)
      if ('key' in p) out[`${at}.clientURLs[${j}]`] = p
    })
    const dp = dataDirProblemMsg(m.dataDir)
    if (dp) out[`${at}.dataDir`] = dp
    const v = parseFamilyMsg(m.etcdVersion)
    if ('key' in v) out[`${at}.etcdVersion`] = v
    const rp = m.run.kind === 'systemd' ? unitProblemMsg(m.run.unit) : manifestProblemMsg(m.run.manifest)
    if (rp) out[`${at}.run`] = rp
  })
  if (members.length > 1 && hostsLoopback.some((l) => l) && hostsLoopback.some((l) => !l)) out['members'] = msg('restore.rules.loopbackMix')
  return out
}

/** memberProblemMsgs in English. */
export function memberProblems(members: readonly PlanMemberInput[]): Record<string, string> {
  return Object.fromEntries(Object.entries(memberProblemMsgs(members)).map(([k, m]) => [k, formatMessage(m)]))
}
