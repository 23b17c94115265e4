// Both UI languages carry the same keys with the same parameters, every message compiles as vue-i18n
// will compile it, the Chinese is Chinese (not English left in place), and every key the renderer
// uses exists.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { baseCompile } from '@intlify/message-compiler'
import en from '../../../src-renderer/src/i18n/locales/en'
import zhCN from '../../../src-renderer/src/i18n/locales/zh-CN'
import { repoRoot } from '../../support/raftdeck'

function leaves(obj: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.set(key, v)
    else for (const [kk, vv] of leaves(v, key)) out.set(kk, vv)
  }
  return out
}

const placeholders = (text: string) => new Set([...text.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))

function compileErrors(text: string): string[] {
  const errors: string[] = []
  baseCompile(text, { onError: (e) => errors.push(e.message), jit: true })
  return errors
}

/** Latin words a Chinese-speaking etcd operator writes as they are. */
const TERMS = new Set(
  `etcd etcdctl etcdutl Raftdeck raftdeck leader leaders follower followers learner learners revision revisions compaction compact
  candidate pre-candidate pre-vote term index raft Raft TLS SSH CA HashKV kubeadm Kubernetes systemd cron URL URLs ID IDs PEM
  JSON YAML gRPC API CLI CPU ms kB MB GB TB B s min h d SIGKILL SIGSTOP SIGCONT NOSPACE CORRUPT MemberRemove MsgApp
  MsgVote MsgPreVote MsgHeartbeat known_hosts bbolt Ansible snapshot status verify restore ok prod ro defrag agent
  Status Ctrl Cmd Enter Esc Tab Shift Alt Space PageUp PageDown Home End Delete F2 F5 key lease watch txn TTL user role
  commit applied pid ReadIndex Leader Follower Candidate Pre-candidate Learner Match Next GFS SHA-256 sha256 UTC IP DNS TCP http https host port endpoints endpoint fsync WAL trailer keys-only prefix`.split(/\s+/),
)

/** Keys that read the same in every language: each language's name is written in that language. */
const SAME_EVERYWHERE = [/^shell\.language\.names\./]

describe('UI locales', () => {
  const enLeaves = leaves(en)
  const zhLeaves = leaves(zhCN)

  it('have the same keys', () => {
    expect([...zhLeaves.keys()].sort()).toEqual([...enLeaves.keys()].sort())
  })

  it('use the same parameters for each key', () => {
    const bad: string[] = []
    for (const [key, text] of enLeaves) {
      const zh = zhLeaves.get(key)
      if (zh === undefined) continue
      const a = [...placeholders(text)].sort().join(',')
      const b = [...placeholders(zh)].sort().join(',')
      if (a !== b) bad.push(`${key}: en {${a}} zh {${b}}`)
    }
    expect(bad).toEqual([])
  })

  it('compile as vue-i18n messages (no stray @, { or |)', () => {
    const bad: string[] = []
    for (const [name, map] of [['en', enLeaves], ['zh-CN', zhLeaves]] as const) {
      for (const [key, text] of map) {
        const errors = compileErrors(text)
        if (errors.length) bad.push(`${name} ${key}: ${errors.join('; ')}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('are Chinese in zh-CN, with English left only for etcd terms and symbols', () => {
    const bad: string[] = []
    for (const [key, zh] of zhLeaves) {
      if (/[\u4e00-\u9fff]/.test(zh) || SAME_EVERYWHERE.some((r) => r.test(key))) continue
      const words = (zh.replace(/\{[^}]*\}/g, ' ').match(/[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z]/g) ?? []).filter((w) => !TERMS.has(w) && !TERMS.has(w.replace(/[.-]+$/, '')))
      if (words.length) bad.push(`${key}: ${zh}`)
    }
    expect(bad).toEqual([])
  })
})

describe('keys the renderer uses', () => {
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((n) => {
      const p = path.join(dir, n)
      return statSync(p).isDirectory() ? files(p) : /\.(vue|ts)$/.test(n) ? [p] : []
    })
  }

  it('all exist in the English messages', () => {
    const known = leaves(en)
    const prefixes = new Set([...known.keys()].flatMap((k) => k.split('.').map((_, i, a) => a.slice(0, i + 1).join('.'))))
    const missing: string[] = []
    for (const file of files(path.join(repoRoot, 'src-renderer/src'))) {
      if (file.includes(`${path.sep}locales${path.sep}`)) continue
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(?<![\w.])\$?t\(\s*'([a-zA-Z][\w.-]*)'/g)) {
        const key = m[1]!
        // A key ending in '.' is built from a prefix plus a value: the prefix must exist.
        if (key.endsWith('.') ? !prefixes.has(key.slice(0, -1)) : !known.has(key)) missing.push(`${path.relative(repoRoot, file)}: ${key}`)
      }
    }
    expect(missing).toEqual([])
  })
})
