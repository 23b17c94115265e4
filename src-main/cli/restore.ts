// `raftdeck restore plan|verify|lint`: the guided restore from the command line. `plan` writes the same
// folder as the Restore area (one script per member, README.md, plan.json); `verify` runs the checks
// after a restore and exits 0 only when every one passes; `lint` names the problems of an existing
// procedure.

import fs from 'node:fs'
import { BboltError } from '../bbolt/index'
import { AppError } from '../shared'
import type { LintReport, PlanMemberInput, RunMode, VerifyReport } from '../shared/api/restore'
import { DEFAULT_DATA_DIR, parseEtcdUrl } from '../shared/api/restoreRules'
import { RESTORE_SETTLE_MS, verifyCluster } from '../services/cluster/checks'
import { EtcdClient } from '../services/etcd/client'
import { TlsMaterialError } from '../services/etcd/tlsMaterial'
import { lintProcedure } from '../services/restore/lint'
import { makePlanFolder, readPlanFolder, readSnapshotFacts } from '../services/restore/planStore'
import { expectationsOf } from '../services/restore/rehearsal'
import { authFromFlags, connectionOptions, tlsFromFlags } from './etcdFlags'
import { UsageError, type Command, type OptionValues } from './command'

type Sub = 'plan' | 'verify' | 'lint'

const SUB_OPTIONS: Record<Sub, readonly string[]> = {
  plan: ['snapshot', 'member', 'client-url', 'token', 'etcd-version', 'data-dir', 'output', 'write-out', 'bump-revision', 'kubernetes', 'systemd-unit', 'kubeadm-manifest', 'live-revision'],
  verify: ['endpoints', 'plan', 'wait', 'write-out', 'cacert', 'cert', 'key', 'user', 'insecure-skip-tls-verify', 'server-name'],
  lint: ['write-out', 'kubernetes', 'etcd-version'],
}

const USAGE = [
  'raftdeck restore plan --snapshot FILE --member NAME=PEER_URL … --token T --etcd-version 3.4|3.5|3.6 [--data-dir D] -o DIR [-w json]',
  '       raftdeck restore verify --endpoints URL,… [--plan DIR] [--wait SECONDS] [--cacert F --cert F --key F] [--user NAME[:PASSWORD]] [-w json]',
  '       raftdeck restore lint FILE [--kubernetes] [--etcd-version V] [-w json]',
].join('\n')

const str = (values: OptionValues, name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
const list = (values: OptionValues, name: string): string[] => {
  const v = values[name]
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v]
  return items.filter((x): x is string => typeof x === 'string').flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)
}

function format(values: OptionValues): 'table' | 'json' {
  const w = str(values, 'write-out') ?? 'table'
  if (w !== 'table' && w !== 'json') throw new UsageError(`-w must be table or json, got '${w}'`)
  return w
}

/** NAME=URL pairs, in order; a name given twice collects several URLs (as in --initial-cluster). */
function pairs(items: string[], flag: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const item of items) {
    const i = item.indexOf('=')
    if (i <= 0 || i === item.length - 1) throw new UsageError(`--${flag} takes NAME=URL, got '${item}'`)
    const name = item.slice(0, i)
    out.set(name, [...(out.get(name) ?? []), item.slice(i + 1)])
  }
  return out
}

/** A flag given once for every member (VALUE) or per member (NAME=VALUE, repeated). */
function perMember(values: OptionValues, flag: string, members: Map<string, string[]>, fallback: string): (name: string) => string {
  const items = (Array.isArray(values[flag]) ? values[flag] : values[flag] === undefined ? [] : [values[flag]]).filter((x): x is string => typeof x === 'string')
  let all = fallback
  const by = new Map<string, string>()
  for (const item of items) {
    const i = item.indexOf('=')
    if (i < 0) all = item
    else {
      const name = item.slice(0, i)
      if (!members.has(name)) throw new UsageError(`--${flag} names ${name}, which is not a --member`)
      by.set(name, item.slice(i + 1))
    }
  }
  return (name) => by.get(name) ?? all
}

async function runPlan(values: OptionValues): Promise<number> {
  const w = format(values)
  const snapshot = str(values, 'snapshot')
  if (!snapshot) throw new UsageError('--snapshot FILE is required')
  const out = str(values, 'output')
  if (!out) throw new UsageError('-o DIR is required: the folder to write the scripts into (it must not exist, or be empty)')
  const peers = pairs(list(values, 'member'), 'member')
  if (peers.size === 0) throw new UsageError('give every member with --member NAME=PEER_URL (repeat it, or separate with commas)')
  const clients = pairs(list(values, 'client-url'), 'client-url')
  for (const n of clients.keys()) if (!peers.has(n)) throw new UsageError(`--client-url names ${n}, which is not a --member`)
  const version = str(values, 'etcd-version')
  if (!version) throw new UsageError('--etcd-version is required: 3.4, 3.5 or 3.6 (or an exact version such as 3.5.9)')
  const dataDir = perMember(values, 'data-dir', peers, DEFAULT_DATA_DIR)
  const unit = perMember(values, 'systemd-unit', peers, 'etcd')
  const manifest = perMember(values, 'kubeadm-manifest', peers, '')
  const members: PlanMemberInput[] = [...peers.entries()].map(([name, peerURLs]) => {
    const fallback = peerURLs.map((u) => {
      const p = parseEtcdUrl(u)
      return typeof p === 'string' ? u : `${p.scheme}://${p.host.includes(':') ? `[${p.host}]` : p.host}:2379`
    })
    const run: RunMode = manifest(name) ? { kind: 'kubeadm', manifest: manifest(name) } : { kind: 'systemd', unit: unit(name) }
    return { name, peerURLs, clientURLs: clients.get(name) ?? fallback.slice(0, 1), dataDir: dataDir(name), etcdVersion: version, run }
  })
  const bumpRaw = str(values, 'bump-revision')
  if (bumpRaw !== undefined && !/^\d+$/.test(bumpRaw)) throw new UsageError(`--bump-revision takes a number of revisions (0: none), got '${bumpRaw}'`)
  const live = str(values, 'live-revision')
  if (live !== undefined && !/^\d+$/.test(live)) throw new UsageError(`--live-revision takes a revision, got '${live}'`)
  if (!fs.existsSync(snapshot)) throw new UsageError(`snapshot file ${snapshot} does not exist`)

  let rendered
  try {
    const facts = await readSnapshotFacts(snapshot)
    rendered = await makePlanFolder(out, facts, members, {
      ...(str(values, 'token') ? { token: str(values, 'token')! } : {}),
      ...(bumpRaw !== undefined ? { bumpRevision: Number(bumpRaw) } : {}),
      ...(values.kubernetes === true ? { kubernetes: true } : {}),
      ...(live !== undefined ? { liveRevision: Number(live) } : {}),
    })
  } catch (err) {
    if (err instanceof BboltError) {
      process.stderr.write(`raftdeck restore plan: ${err.message} [${err.code}]\n${err.hint ? `hint: ${err.hint}\n` : ''}`)
      return 1
    }
    if (err instanceof AppError) throw new UsageError(err.message, err.hint)
    throw err
  }
  const { plan } = rendered
  if (w === 'json') {
    process.stdout.write(
      JSON.stringify(
        {
          header: { cluster_id: plan.clusterId },
          members: plan.members.map((m) => ({ ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs })),
          token: plan.token,
          plan: plan.id,
          dir: rendered.dir,
          restoreFile: plan.restoreFile,
          bump: plan.bump,
          files: rendered.files.map((f) => f.name),
          notes: plan.notes,
        },
        null,
        2,
      ) + '\n',
    )
  } else {
    const lines = [
      `plan ${plan.id} written to ${rendered.dir}`,
      `cluster ID ${plan.clusterId}, token ${plan.token}`,
      ...plan.members.map((m) => `  ${m.name.padEnd(16)} ${m.id}  ${m.peerURLs.join(',')}  ${m.dataDir}  etcd ${m.etcdVersion} (${m.tool})`),
      plan.bump ? `revision bump ${plan.bump.revision} --mark-compacted (${plan.bump.mode === 'flags' ? 'restore flags' : `written into ${plan.restoreFile.fileName}`})` : 'no revision bump',
      ...plan.notes.map((n) => `note: ${n}`),
      `files: ${rendered.files.map((f) => f.name).join(', ')}${plan.bump?.mode === 'file' ? `, ${plan.restoreFile.fileName}` : ''}`,
      `next: copy the folder${plan.bump?.mode === 'file' ? '' : ` and ${plan.restoreFile.fileName}`} to every member and run its script there (README.md)`,
    ]
    process.stdout.write(lines.join('\n') + '\n')
  }
  return 0
}

export function verifyTable(r: VerifyReport): string {
  const mark = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' } as const
  const lines: string[] = []
  for (const c of r.checks) {
    lines.push(`${mark[c.status]}  ${c.id.padEnd(11)}  ${c.summary}`)
    if (c.status !== 'pass') {
      if (c.cause) lines.push(`      cause: ${c.cause}`)
      if (c.fix) lines.push(`      fix:   ${c.fix}`)
      for (const d of c.details ?? []) lines.push(`      - ${d}`)
    }
  }
  lines.push(r.ok ? 'every check passed' : `${r.checks.filter((c) => c.status === 'fail').length} check(s) failed`)
  return lines.join('\n')
}

async function runVerify(values: OptionValues): Promise<number> {
  const w = format(values)
  const planDir = str(values, 'plan')
  const plan = planDir ? (await readPlanFolder(planDir).catch((err: unknown) => {
    throw err instanceof AppError ? new UsageError(err.message, err.hint) : err
  })).plan : null
  let endpoints = list(values, 'endpoints')
  if (endpoints.length === 0 && plan) endpoints = plan.members.map((m) => m.clientURLs[0]!)
  if (endpoints.length === 0) throw new UsageError('--endpoints is required (or --plan DIR, whose members’ client URLs are used)')
  for (const e of endpoints) {
    const p = parseEtcdUrl(e.includes('://') ? e : `http://${e}`)
    if (typeof p === 'string') throw new UsageError(p)
  }
  const auth = authFromFlags(values)
  let tls
  try {
    tls = await tlsFromFlags(values, endpoints)
  } catch (err) {
    if (err instanceof TlsMaterialError) throw new UsageError(err.message, err.hint)
    throw err
  }
  // Right after the scripts ran, a member may still be starting: with a plan, wait for it (as the wizard does).
  const waitText = str(values, 'wait')
  const waitSeconds = waitText === undefined ? (plan ? RESTORE_SETTLE_MS / 1000 : 0) : Number(waitText)
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > 3600) throw new UsageError(`--wait must be a number of seconds from 0 to 3600, got '${waitText}'`)
  const client = new EtcdClient({ endpoints, ...(tls ? { tls } : {}), ...(auth ? { auth } : {}), requestTimeoutMs: 10_000, dialTimeoutMs: 3000 })
  try {
    const report = await verifyCluster(client, endpoints, plan ? expectationsOf(plan) : undefined, waitSeconds > 0 ? waitSeconds * 1000 : undefined)
    process.stdout.write((w === 'json' ? JSON.stringify(report, null, 2) : verifyTable(report)) + '\n')
    return report.ok ? 0 : 1
  } finally {
    client.close()
  }
}

export function lintTable(r: LintReport): string {
  const lines = [`${r.restores} restore command${r.restores === 1 ? '' : 's'} found (${r.kind}${r.kubernetes ? ', Kubernetes' : ''})`]
  for (const f of r.findings) {
    lines.push(`${f.severity === 'error' ? 'ERROR' : 'WARN '} line ${f.line}: [${f.rule}] ${f.message}`)
    if (f.excerpt) lines.push(`      ${f.excerpt}`)
    lines.push(`      fix: ${f.fix}`)
  }
  if (r.findings.length === 0) lines.push('no problems found')
  return lines.join('\n')
}

async function runLint(file: string, values: OptionValues): Promise<number> {
  const w = format(values)
  let text: string
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
  }
  const r = lintProcedure(text, { ...(values.kubernetes === true ? { kubernetes: true } : {}), ...(str(values, 'etcd-version') ? { etcdVersion: str(values, 'etcd-version')! } : {}) })
  process.stdout.write((w === 'json' ? JSON.stringify(r, null, 2) : lintTable(r)) + '\n')
  return r.findings.some((f) => f.severity === 'error') ? 1 : 0
}

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Plan a per-member restore of an etcd cluster, verify it afterwards, or lint an existing procedure.',
  usage: USAGE,
  allowPositionals: true,
  options: {
    snapshot: { type: 'string', value: 'FILE', description: 'plan: the snapshot to restore (verified first).' },
    member: { type: 'string', multiple: true, value: 'NAME=PEER_URL', description: 'plan: a member and its peer URL (repeat, or comma-separate).' },
    'client-url': { type: 'string', multiple: true, value: 'NAME=URL', description: "plan: a member's client URL (default: the peer host, same scheme, port 2379)." },
    token: { type: 'string', value: 'TOKEN', description: 'plan: the new cluster token (default: a fresh one).' },
    'etcd-version': { type: 'string', value: 'V', description: 'plan: 3.4, 3.5, 3.6 or an exact version (3.5.9: no --bump-revision); lint: the etcd the procedure runs on.' },
    'data-dir': { type: 'string', multiple: true, value: '[NAME=]DIR', description: `plan: the data dir of every member, or of one (NAME=DIR, repeat) (default ${DEFAULT_DATA_DIR}).` },
    'systemd-unit': { type: 'string', multiple: true, value: '[NAME=]UNIT', description: 'plan: the unit that runs etcd, for every member or one (default etcd).' },
    'kubeadm-manifest': { type: 'string', multiple: true, value: '[NAME=]FILE', description: 'plan: etcd runs as a kubeadm static pod from this manifest (e.g. /etc/kubernetes/manifests/etcd.yaml), on every member or one.' },
    'bump-revision': { type: 'string', value: 'N', description: 'plan: revision bump (0: none; default 1000000000 for Kubernetes data, none otherwise).' },
    kubernetes: { type: 'boolean', description: 'plan/lint: treat the data as Kubernetes (detected from /registry/ keys otherwise).' },
    'live-revision': { type: 'string', value: 'REV', description: "plan: the live cluster's revision, so the bump covers what clients saw." },
    output: { type: 'string', short: 'o', value: 'DIR', description: 'plan: the folder to write (must not exist, or be empty).' },
    endpoints: { type: 'string', value: 'URLS', description: 'verify: the client URLs of every member, comma-separated.' },
    plan: { type: 'string', value: 'DIR', description: 'verify: a plan folder; adds the planned IDs, member list, revision and key count.' },
    wait: { type: 'string', value: 'SECONDS', description: 'verify: how long to wait for a member that does not answer yet (default 20 with --plan, else 0).' },
    ...connectionOptions('verify: '),
    'write-out': { type: 'string', short: 'w', value: 'FORMAT', description: 'table (default) or json.' },
  },
  async run(values, positionals) {
    const sub = positionals[0] as Sub | undefined
    if (!sub || !(sub in SUB_OPTIONS)) throw new UsageError(sub ? `unknown restore subcommand '${sub}'` : 'a subcommand is required: plan, verify or lint', "Run 'raftdeck restore --help' for usage.")
    const allowed = new Set(SUB_OPTIONS[sub])
    for (const [name, v] of Object.entries(values)) {
      if (v === undefined || name === 'help' || allowed.has(name)) continue
      throw new UsageError(`--${name} is not an option of 'restore ${sub}'`, `Options of 'restore ${sub}': ${[...allowed].map((o) => `--${o}`).join(' ')}`)
    }
    if (sub === 'lint') {
      const files = positionals.slice(1)
      if (files.length !== 1) throw new UsageError('restore lint needs exactly one FILE (or - for standard input)')
      return runLint(files[0]!, values)
    }
    if (positionals.length > 1) throw new UsageError(`restore ${sub} takes no arguments, got '${positionals[1]}'`)
    return sub === 'plan' ? runPlan(values) : runVerify(values)
  },
}

