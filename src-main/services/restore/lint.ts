// The procedure linter: a pasted restore script or Ansible playbook, read for the mistakes that end in
// three leaders or lost data. It does not execute anything; it finds the restore commands (etcdctl or
// etcdutl `snapshot restore`, continued lines joined), the copies and deletions around them, and the
// Ansible task each one sits in (run_once, delegate_to: it runs once; otherwise on every host).

import type { LintFinding, LintReport } from '../../shared/api/restore'
import { DEFAULT_MEMBER_ID, DEFAULT_TOKEN, parseFamily } from '../../shared/api/restoreRules'
import { formatMessage, msg, type Msg } from '../../shared/i18n/message'
import { hexId } from './plan'
import { memberIdFor } from '../../member/ids'

interface Line {
  /** 1-based number of the first physical line. */
  line: number
  text: string
  indent: number
}

interface Restore {
  at: Line
  tool: 'etcdctl' | 'etcdutl'
  flags: Map<string, string | true>
  /** The Ansible task it is in: runs once (run_once/delegate_to/connection: local) or on every host. */
  task: { runsOnce: boolean; start: number } | null
}

/** Joins shell continuations ("\" at the end of a line) and YAML folded quoted strings into logical lines. */
function logicalLines(text: string): Line[] {
  const raw = text.replace(/\r\n?/g, '\n').split('\n')
  const out: Line[] = []
  for (let i = 0; i < raw.length; i++) {
    const first = i
    let t = raw[i]!
    while (/\\\s*$/.test(t) && i + 1 < raw.length) t = t.replace(/\\\s*$/, ' ') + raw[++i]!.trim()
    out.push({ line: first + 1, text: t, indent: t.length - t.trimStart().length })
  }
  return out
}

/** Flags of a command line: --flag=value, --flag value, --flag "quoted value"; boolean flags as true. */
export function parseFlags(cmd: string): Map<string, string | true> {
  const flags = new Map<string, string | true>()
  const re = /--([a-z][a-z-]*)(?:(=)|\s+)?("[^"]*"|'[^']*'|(?:\{\{[^}]*\}\}|\S)+)?/g
  let m: RegExpExecArray | null
  while ((m = re.exec(cmd))) {
    const name = m[1]!
    let value: string | true = true
    if (m[3] !== undefined && (m[2] === '=' || !m[3].startsWith('-'))) {
      value = m[3].replace(/^["']|["']$/g, '').replace(/[;&|]+$/, '')
      // A following word that is another command or the end of a YAML string is not a value.
      if (m[2] !== '=' && /^(&&|\|\||;|\|)$/.test(value)) value = true
    } else if (m[3] !== undefined) re.lastIndex -= m[3].length
    flags.set(name, value)
  }
  return flags
}

/** A value that differs per host: a template, variable or command substitution. */
const varies = (v: string) => /\{\{|\$\{?[A-Za-z_]|\$\(|`|%\(|<%/.test(v)

const IDENTITY = ['name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls', 'data-dir'] as const
const DEFAULTS: Record<(typeof IDENTITY)[number], string | Msg> = {
  name: '"default"',
  'initial-cluster': 'default=http://localhost:2380',
  'initial-cluster-token': DEFAULT_TOKEN,
  'initial-advertise-peer-urls': 'http://localhost:2380',
  'data-dir': msg('restore.lint.defaultDataDir'),
}

/** A finding whose message and fix are catalog messages (the UI's language), with their English. */
type Draft = Omit<LintFinding, 'message' | 'fix' | 'messageMsg' | 'fixMsg'> & { message: Msg; fix: Msg }
const finding = (d: Draft): LintFinding => ({ ...d, message: formatMessage(d.message), fix: formatMessage(d.fix), messageMsg: d.message, fixMsg: d.fix })

function taskOf(lines: Line[], idx: number): Restore['task'] {
  // The nearest "- name:" / "- <module>:" line above with a smaller indent starts the task.
  const at = lines[idx]!
  let start = -1
  for (let i = idx; i >= 0; i--) {
    const l = lines[i]!
    if (/^\s*-\s+[\w.]+\s*:/.test(l.text) && (l.indent < at.indent || i === idx)) {
      start = i
      break
    }
  }
  if (start < 0) return null
  const taskIndent = lines[start]!.indent
  let runsOnce = false
  for (let i = start; i < lines.length; i++) {
    const l = lines[i]!
    if (i > start && l.text.trim() && l.indent <= taskIndent) break
    if (/^\s*(-\s+)?(run_once\s*:\s*(true|yes|True)|delegate_to\s*:|connection\s*:\s*local|local_action\s*:)/.test(l.text)) runsOnce = true
  }
  return { runsOnce, start }
}

export function lintProcedure(text: string, opts: { kubernetes?: boolean; etcdVersion?: string } = {}): LintReport {
  const lines = logicalLines(text)
  const ansible = /^\s*-\s+(name|hosts|shell|command|ansible\.builtin\.\w+)\s*:/m.test(text) || /\{\{.*\}\}/.test(text)
  const kubernetes = opts.kubernetes ?? /kube-apiserver|\/etc\/kubernetes|kubeadm|kubectl|\bk8s\b|\/registry\//i.test(text)
  const version = opts.etcdVersion ? parseFamily(opts.etcdVersion) : null
  const findings: LintFinding[] = []
  const add = (f: Draft) => findings.push(finding(f))
  const excerpt = (l: Line) => l.text.trim().replace(/\s+/g, ' ').slice(0, 200)

  const restores: Restore[] = []
  lines.forEach((l, i) => {
    const m = /\b(etcdctl|etcdutl)\b[^\n]*?\bsnapshot\s+restore\b/.exec(l.text)
    if (!m || /^\s*#/.test(l.text)) return
    const flags = parseFlags(l.text.slice(m.index))
    if (flags.has('help')) return
    restores.push({ at: l, tool: m[1] as 'etcdctl' | 'etcdutl', flags, task: ansible ? taskOf(lines, i) : null })
  })

  if (restores.length === 0) {
    add({ rule: 'no-restore', severity: 'warning', line: 1, excerpt: '', message: msg('restore.lint.noRestore'), fix: msg('restore.lint.noRestoreFix') })
    return { restores: 0, kind: ansible ? 'ansible' : 'shell', kubernetes, findings }
  }

  // Tokens the running cluster was started with (unit files, env files, etcd command lines).
  const runningTokens = new Set<string>()
  for (const l of lines) {
    if (/snapshot\s+restore/.test(l.text)) continue
    const env = /ETCD_INITIAL_CLUSTER_TOKEN\s*[=:]\s*["']?([^"'\s]+)/.exec(l.text)
    if (env) runningTokens.add(env[1]!)
    if (/\betcd\b(?!ctl|utl)/.test(l.text)) {
      const f = parseFlags(l.text).get('initial-cluster-token')
      if (typeof f === 'string') runningTokens.add(f)
    }
  }

  // Deletions: rm -r PATH, or Ansible's file module with state=absent.
  const deletions: { line: number; path: string; at: Line }[] = []
  for (const l of lines) {
    if (/^\s*#/.test(l.text)) continue
    const rm = /\brm\s+(-\w*[rR]\w*\s+)+["']?([^\s"';&|]+)/.exec(l.text)
    if (rm) deletions.push({ line: l.line, path: rm[2]!.replace(/\/+$/, ''), at: l })
    const absent = /\b(name|path|dest)\s*[=:]\s*["']?((?:\{\{[^}]*\}\}|[^\s"'])+)/.exec(l.text)
    if (absent && /state\s*[=:]\s*["']?absent/.test(l.text)) deletions.push({ line: l.line, path: absent[2]!.replace(/\/+$/, ''), at: l })
  }

  const tokens = new Map<string, Restore[]>()
  const names = new Map<string, Restore[]>()
  for (const r of restores) {
    const get = (k: string) => r.flags.get(k)
    const onEveryHost = r.task !== null && !r.task.runsOnce

    // ---- missing per-member flags ----
    const missing = IDENTITY.filter((k) => typeof get(k) !== 'string')
    for (const k of missing)
      add({
        rule: 'missing-flag',
        severity: 'error',
        line: r.at.line,
        excerpt: excerpt(r.at),
        message:
          k === 'name' || k === 'initial-advertise-peer-urls' || k === 'initial-cluster-token'
            ? msg('restore.lint.missingFlagIdentity', { flag: k, value: DEFAULTS[k], id: DEFAULT_MEMBER_ID })
            : msg('restore.lint.missingFlag', { flag: k, value: DEFAULTS[k] }),
        fix: k === 'data-dir' ? msg('restore.lint.missingDataDirFix') : msg('restore.lint.missingFlagFix', { flag: k }),
      })

    // ---- a literal per-member flag in a task that runs on every host ----
    if (onEveryHost) {
      for (const k of ['name', 'initial-advertise-peer-urls'] as const) {
        const v = get(k)
        if (typeof v === 'string' && !varies(v))
          add({
            rule: 'same-identity',
            severity: 'error',
            line: r.at.line,
            excerpt: excerpt(r.at),
            message: msg('restore.lint.sameIdentity', { flag: k, value: v }),
            fix: msg('restore.lint.sameIdentityFix', { flag: k, example: k === 'name' ? '{{ inventory_hostname }}' : 'https://{{ inventory_hostname }}:2380' }),
          })
      }
    }

    // ---- tokens ----
    const token = get('initial-cluster-token')
    if (typeof token === 'string') {
      if (token === DEFAULT_TOKEN || runningTokens.has(token))
        add({
          rule: 'reused-token',
          severity: 'error',
          line: r.at.line,
          excerpt: excerpt(r.at),
          message: token === DEFAULT_TOKEN ? msg('restore.lint.defaultToken', { token }) : msg('restore.lint.runningToken', { token }),
          fix: msg('restore.lint.reusedTokenFix'),
        })
      if (!varies(token)) tokens.set(token, [...(tokens.get(token) ?? []), r])
    }

    // ---- names ----
    const name = get('name')
    if (typeof name === 'string' && !varies(name)) names.set(name, [...(names.get(name) ?? []), r])
    const cluster = get('initial-cluster')
    if (typeof cluster === 'string' && !varies(cluster)) {
      const listed = cluster.split(',').map((e) => e.split('=')[0]!.trim())
      const dup = listed.find((n, i) => listed.indexOf(n) !== i)
      if (dup)
        add({ rule: 'duplicate-name', severity: 'error', line: r.at.line, excerpt: excerpt(r.at), message: msg('restore.lint.duplicateInCluster', { name: dup }), fix: msg('restore.lint.duplicateInClusterFix') })
      const adv = get('initial-advertise-peer-urls')
      if (typeof name === 'string' && !varies(name) && typeof adv === 'string' && !varies(adv)) {
        const mine = cluster.split(',').filter((e) => e.split('=')[0] === name).map((e) => e.slice(e.indexOf('=') + 1))
        if (!adv.split(',').every((u) => mine.includes(u)))
          add({
            rule: 'advertise-not-in-cluster',
            severity: 'error',
            line: r.at.line,
            excerpt: excerpt(r.at),
            message: msg('restore.lint.advertise', { urls: adv, name, listed: mine.join(',') || msg('restore.lint.advertiseNothing') }),
            fix: msg('restore.lint.advertiseFix', { name, urls: adv }),
          })
      }
    }

    // ---- bump flags ----
    const bump = get('bump-revision')
    const mark = get('mark-compacted')
    if (mark && !bump) add({ rule: 'bump-flags', severity: 'error', line: r.at.line, excerpt: excerpt(r.at), message: msg('restore.lint.markWithoutBump'), fix: msg('restore.lint.markWithoutBumpFix') })
    if (bump && !mark) add({ rule: 'bump-flags', severity: 'warning', line: r.at.line, excerpt: excerpt(r.at), message: msg('restore.lint.bumpWithoutMark'), fix: msg('restore.lint.bumpWithoutMarkFix') })
    if (!bump && kubernetes) {
      const family = version && typeof version !== 'string' ? version : null
      const supported = family ? family.family === '3.6' || (family.family === '3.5' && (family.patch === null || family.patch >= 10)) || (family.family === '3.4' && family.patch !== null && family.patch >= 27) : r.tool === 'etcdutl'
      add({
        rule: 'no-bump',
        severity: supported ? 'error' : 'warning',
        line: r.at.line,
        excerpt: excerpt(r.at),
        message: supported ? msg('restore.lint.noBump') : msg('restore.lint.noBumpOld'),
        fix: msg('restore.lint.noBumpFix'),
      })
    }
    if (bump === true || (typeof bump === 'string' && !varies(bump) && !/^\d+$/.test(bump)))
      add({ rule: 'bump-flags', severity: 'error', line: r.at.line, excerpt: excerpt(r.at), message: msg('restore.lint.bumpNumber'), fix: msg('restore.lint.bumpNumberFix') })

    if (get('skip-hash-check'))
      add({ rule: 'skip-hash-check', severity: 'warning', line: r.at.line, excerpt: excerpt(r.at), message: msg('restore.lint.skipHash'), fix: msg('restore.lint.skipHashFix') })
    if (r.tool === 'etcdctl' && version && typeof version !== 'string' && version.family === '3.6')
      add({ rule: 'removed-command', severity: 'error', line: r.at.line, excerpt: excerpt(r.at), message: msg('restore.lint.removed'), fix: msg('restore.lint.removedFix') })

    // ---- the target dir ----
    const dir = get('data-dir')
    if (typeof dir === 'string') {
      const before = lines.filter((l) => l.line < r.at.line)
      const esc = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      const moved = before.some((l) => new RegExp(`\\bmv\\s+(-\\w+\\s+)*["']?${esc}/?["']?\\s`).test(l.text))
      // A guard that stops when the target exists ([ -e DIR ] && exit) is as good as emptying it.
      const guarded = before.some((l) => new RegExp(`-[ed]\\s+["']?${esc}["']?\\s*\\]?\\s*&&\\s*(die|exit)`).test(l.text))
      const cleared = deletions.find((d) => d.line < r.at.line && (d.path === dir || d.path === `${dir}/member`))
      if (!moved && !guarded && !(cleared && cleared.path === dir))
        add({
          rule: 'target-not-empty',
          severity: cleared ? 'error' : 'warning',
          line: r.at.line,
          excerpt: excerpt(r.at),
          message: cleared ? msg('restore.lint.memberOnly', { dir }) : msg('restore.lint.notEmptied', { dir }),
          fix: msg('restore.lint.notEmptiedFix', { dir }),
        })
    }
  }

  // ---- old data deleted instead of moved aside ----
  const targets = new Set(restores.map((r) => r.flags.get('data-dir')).filter((d): d is string => typeof d === 'string'))
  for (const d of deletions) {
    if (targets.has(d.path)) continue
    if (!/member|etcd|DATA_DIR|data-dir/i.test(d.path)) continue
    add({ rule: 'deletes-old-data', severity: 'warning', line: d.line, excerpt: excerpt(d.at), message: msg('restore.lint.deleted', { path: d.path }), fix: msg('restore.lint.deletedFix') })
  }

  // ---- the same literal --name in several restores ----
  for (const [name, rs] of names) {
    if (rs.length > 1)
      add({
        rule: 'duplicate-name',
        severity: 'error',
        line: rs[1]!.at.line,
        excerpt: excerpt(rs[1]!.at),
        message: msg('restore.lint.sameName', { name, count: String(rs.length), lines: rs.map((r) => r.at.line).join(', ') }),
        fix: msg('restore.lint.sameNameFix'),
      })
  }
  // ---- different tokens in one procedure ----
  if (tokens.size > 1) {
    const [, second] = [...tokens.values()]
    add({
      rule: 'token-mismatch',
      severity: 'error',
      line: second![0]!.at.line,
      excerpt: excerpt(second![0]!.at),
      message: msg('restore.lint.tokens', { count: String(tokens.size), tokens: [...tokens.keys()].join(', ') }),
      fix: msg('restore.lint.tokensFix'),
    })
  }

  // ---- one restore copied to several members ----
  for (const r of restores) {
    const dir = r.flags.get('data-dir')
    const once = r.task?.runsOnce === true || (!ansible && restores.length === 1)
    const after = lines.filter((l) => l.line > r.at.line)
    const isCopy = (l: Line) => !/^\s*#/.test(l.text) && /\b(scp|rsync|cp)\b|^\s*-?\s*(copy|synchronize|ansible\.builtin\.copy|ansible\.posix\.synchronize|unarchive)\s*:|\b(copy|synchronize)\s*:\s*src=/.test(l.text)
    const copies = after.filter((l) => isCopy(l) && (typeof dir === 'string' ? l.text.includes(dir) || /\bmember\b/.test(l.text) : /\bmember\b|etcd-restore|\.etcd\b/.test(l.text)))
    const copyTaskRunsEverywhere = (l: Line) => {
      if (!ansible) return /\bfor\b|\$\{?(host|node|h)\b|@/.test(l.text) || after.some((x) => /\bfor\b.*\bin\b/.test(x.text) && x.line < l.line + 3)
      const t = taskOf(lines, lines.indexOf(l))
      return t !== null && !t.runsOnce
    }
    const spread = copies.find(copyTaskRunsEverywhere) ?? (r.task?.runsOnce ? copies[0] : undefined)
    if (once && spread) {
      const name = typeof r.flags.get('name') === 'string' ? (r.flags.get('name') as string) : 'default'
      const adv = typeof r.flags.get('initial-advertise-peer-urls') === 'string' ? (r.flags.get('initial-advertise-peer-urls') as string) : 'http://localhost:2380'
      const token = typeof r.flags.get('initial-cluster-token') === 'string' ? (r.flags.get('initial-cluster-token') as string) : DEFAULT_TOKEN
      const id = varies(adv) || varies(token) ? null : hexId(memberIdFor(adv.split(','), token))
      add({
        rule: 'restore-copied',
        severity: 'error',
        line: spread.line,
        excerpt: excerpt(spread),
        message: msg(r.task?.runsOnce ? 'restore.lint.copiedOnce' : 'restore.lint.copied', {
          line: String(r.at.line),
          copy: String(spread.line),
          identity: id ? msg('restore.lint.copiedIdentity', { id, name }) : '',
        }),
        fix: msg('restore.lint.copiedFix'),
      })
    }
  }

  // The failure that ends in three leaders first, then the rest by line.
  const first: LintFinding['rule'][] = ['restore-copied', 'same-identity', 'duplicate-name', 'token-mismatch']
  const rank = (f: LintFinding) => (f.severity === 'error' ? 0 : 10) + (first.includes(f.rule) ? 0 : 1)
  findings.sort((a, b) => rank(a) - rank(b) || a.line - b.line)
  return { restores: restores.length, kind: ansible ? 'ansible' : 'shell', kubernetes, findings }
}
