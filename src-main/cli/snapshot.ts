// `raftdeck snapshot save|status|verify|restore`: etcdctl's snapshot commands, for etcd and for
// raftdeck members alike. Files are etcd's format (bbolt + SHA-256); restore writes data dirs for
// `raftdeck member` (see docs/snapshots.md). Bad input: one line, exit 2. A bad snapshot: the
// specific error from verify (what and what to do), exit 1, nothing written.

import fs from 'node:fs'
import path from 'node:path'
import { BboltError, snapshotStatus, verifySnapshot, type SnapshotStatus } from '../bbolt/index'
import { FlagError, parseMemberFlags } from '../member/config'
import { toHex } from '../member/ids'
import { restoreCluster, restoreSnapshot, RestoreInputError } from '../member/restore/restore'
import { saveSnapshotFile } from '../services/backup/snapshotFile'
import { EtcdClient } from '../services/etcd/client'
import { TlsMaterialError } from '../services/etcd/tlsMaterial'
import { SshError } from '../services/ssh/errors'
import { authFromFlags, CONNECTION_FLAGS, connectionOptions, tlsFromFlags, tunnelFromFlags } from './etcdFlags'
import { UsageError, type Command, type OptionValues } from './command'

type Sub = 'save' | 'status' | 'verify' | 'restore'

/** Which options each subcommand takes; anything else is refused so a typo never goes unnoticed. */
const SUB_OPTIONS: Record<Sub, readonly string[]> = {
  save: ['endpoints', ...CONNECTION_FLAGS],
  status: ['write-out'],
  verify: ['write-out', 'skip-hash-check'],
  restore: ['name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls', 'data-dir', 'wal-dir', 'data-dirs', 'bump-revision', 'mark-compacted', 'skip-hash-check', 'write-out'],
}

const USAGE = [
  'raftdeck snapshot save FILE --endpoints URL [--cacert F --cert F --key F] [--user NAME[:PASSWORD]] [--ssh-tunnel USER@HOST[:PORT] --ssh-key F [--ssh-known-hosts F]]',
  '       raftdeck snapshot status FILE [-w table|json]',
  '       raftdeck snapshot verify FILE [-w table|json] [--skip-hash-check]',
  '       raftdeck snapshot restore FILE --name N --initial-cluster N=URL,… --initial-cluster-token T --initial-advertise-peer-urls URL --data-dir DIR [--bump-revision R --mark-compacted]',
  '       raftdeck snapshot restore FILE --initial-cluster N=URL,… --initial-cluster-token T --data-dirs N=DIR,… (every member at once)',
].join('\n')

/** go-humanize's Bytes (SI units), which etcdctl's table uses for TOTAL SIZE. */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB']
  const e = Math.floor(Math.log(n) / Math.log(1000))
  const val = Math.floor((n / Math.pow(1000, e)) * 10 + 0.5) / 10
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${units[e]}`
}

/** etcdctl's `snapshot status -w table` (tablewriter: centred headers, right-aligned cells). */
export function statusTable(st: SnapshotStatus): string {
  const header = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE']
  const row = [st.hash.toString(16), String(st.revision), String(st.totalKey), humanBytes(st.totalSize)]
  const widths = header.map((h, i) => Math.max(h.length, row[i]!.length))
  const line = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+'
  const centre = (s: string, w: number): string => {
    const gap = w - s.length
    const left = Math.floor(gap / 2)
    return ' '.repeat(left) + s + ' '.repeat(gap - left)
  }
  const head = '|' + header.map((h, i) => ` ${centre(h, widths[i]!)} `).join('|') + '|'
  const body = '|' + row.map((c, i) => ` ${c.padStart(widths[i]!)} `).join('|') + '|'
  return [line, head, line, body, line].join('\n')
}

/** etcdctl's JSON field names and order. */
export function statusJson(st: SnapshotStatus): string {
  return JSON.stringify({ hash: st.hash, revision: st.revision, totalKey: st.totalKey, totalSize: st.totalSize })
}

function str(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

function format(values: OptionValues): 'table' | 'json' {
  const w = str(values, 'write-out') ?? 'table'
  if (w !== 'table' && w !== 'json') throw new UsageError(`-w must be table or json, got '${w}'`)
  return w
}

function oneFile(positionals: string[], sub: Sub): string {
  const files = positionals.slice(1)
  if (files.length !== 1) throw new UsageError(`snapshot ${sub} needs exactly one FILE argument, got ${files.length}`, `Usage: raftdeck snapshot ${sub} FILE …`)
  return files[0]!
}

function printSnapshotError(sub: Sub, err: BboltError): number {
  process.stderr.write(`raftdeck snapshot ${sub}: ${err.message} [${err.code}]\n${err.hint ? `hint: ${err.hint}\n` : ''}`)
  return 1
}

async function runStatus(file: string, values: OptionValues): Promise<number> {
  const w = format(values)
  const st = snapshotStatus(file)
  process.stdout.write((w === 'json' ? statusJson(st) : statusTable(st)) + '\n')
  return 0
}

async function runVerify(file: string, values: OptionValues): Promise<number> {
  const w = format(values)
  const v = verifySnapshot(file, { skipHashCheck: values['skip-hash-check'] === true })
  if (w === 'json') {
    process.stdout.write(JSON.stringify({ ok: true, hasHash: v.hasHash, sha256: v.sha256, pageSize: v.pageSize, fileSize: v.fileSize, status: v.status, warnings: v.warnings }) + '\n')
  } else {
    const lines = [`OK: ${file} is a valid etcd snapshot (${v.hasHash ? `sha256 ${v.sha256}` : 'no hash trailer'}, page size ${v.pageSize}, revision ${v.status.revision}, ${v.status.totalKey} keys, ${humanBytes(v.status.totalSize)})`]
    for (const warning of v.warnings) lines.push(`warning: ${warning}`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return 0
}

/** Saves from one endpoint into FILE.part, verifies it, then renames: FILE is complete or absent. */
async function runSave(file: string, values: OptionValues): Promise<number> {
  const endpoints = (str(values, 'endpoints') ?? '').split(',').map((e) => e.trim()).filter(Boolean)
  if (endpoints.length === 0) throw new UsageError('--endpoints is required', 'Example: raftdeck snapshot save backup.db --endpoints http://127.0.0.1:2379')
  // etcd's own rule: a snapshot is one member's backend, so it must come from exactly one endpoint.
  if (endpoints.length > 1) throw new UsageError(`snapshot must be requested to one selected node, not multiple [${endpoints.join(' ')}]`)
  const endpoint = endpoints[0]!
  const auth = authFromFlags(values)
  let tls
  try {
    tls = await tlsFromFlags(values, [endpoint])
  } catch (err) {
    if (err instanceof TlsMaterialError) throw new UsageError(err.message, err.hint)
    throw err
  }
  const target = path.resolve(file)
  if (!fs.existsSync(path.dirname(target))) throw new UsageError(`directory ${path.dirname(target)} does not exist`)
  const tunnel = tunnelFromFlags(values)
  const client = new EtcdClient({ endpoints: [endpoint], ...(tls ? { tls } : {}), ...(auth ? { auth } : {}), ...(tunnel ? { dialer: tunnel } : {}) })
  // Ctrl-C (or a service manager's SIGTERM) stops the stream; the partial file is removed, not left behind.
  const interrupted = new AbortController()
  const interrupt = () => interrupted.abort()
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)
  try {
    // Bring the tunnel up first, so an SSH problem is reported as itself and not as an unreachable endpoint.
    await tunnel?.connect()
    await saveSnapshotFile(client, endpoint, target, undefined, interrupted.signal)
  } catch (err) {
    if (interrupted.signal.aborted) {
      process.stderr.write(`raftdeck snapshot save: interrupted; no file was written\n`)
      return 130
    }
    if (err instanceof BboltError) return printSnapshotError('save', err)
    if (err instanceof SshError) {
      process.stderr.write(`raftdeck snapshot save: ${err.message}\nhint: ${err.hint ?? ''}\n`)
      return 1
    }
    const maybeHint = (err as { hint?: unknown } | null)?.hint
    const hint = typeof maybeHint === 'string' ? maybeHint : ''
    process.stderr.write(`raftdeck snapshot save: ${err instanceof Error ? err.message : String(err)}\n${hint ? `hint: ${hint}\n` : ''}`)
    return 1
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
    client.close()
    tunnel?.close()
  }
  process.stdout.write(`Snapshot saved at ${file}\n`)
  return 0
}

/** `--data-dirs n1=DIR,…`: every member of the new cluster from one read of the snapshot. */
async function runRestoreAll(file: string, values: OptionValues, dataDirsRaw: string): Promise<number> {
  for (const f of ['name', 'initial-advertise-peer-urls', 'data-dir', 'wal-dir']) {
    if (str(values, f) !== undefined) throw new UsageError(`--${f} cannot be combined with --data-dirs (each member's name, peer URLs and data dir come from --initial-cluster and --data-dirs)`)
  }
  const argv: string[] = []
  for (const f of ['initial-cluster', 'initial-cluster-token']) {
    const v = str(values, f)
    if (v !== undefined) argv.push(`--${f}`, v)
  }
  // The member flag parser checks one member's own flags: give it the first member's.
  const first = /^([^=,]+)=([^,]+)/.exec(str(values, 'initial-cluster') ?? '')
  if (first) argv.push('--name', first[1]!, '--initial-advertise-peer-urls', first[2]!)
  let cfg
  try {
    cfg = parseMemberFlags(argv)
  } catch (err) {
    if (err instanceof FlagError) throw new UsageError(err.message)
    throw err
  }
  const dataDirs = new Map<string, string>()
  for (const part of dataDirsRaw.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) throw new UsageError(`invalid --data-dirs entry "${part}": write NAME=DIR`)
    dataDirs.set(part.slice(0, eq), path.resolve(part.slice(eq + 1)))
  }
  for (const name of dataDirs.keys()) if (!cfg.initialCluster.has(name)) throw new UsageError(`--data-dirs names "${name}", which is not in --initial-cluster`)
  if (str(values, 'bump-revision') !== undefined || values['mark-compacted']) throw new UsageError('--bump-revision and --mark-compacted take one member at a time (without --data-dirs)')
  if (!fs.existsSync(file)) throw new UsageError(`snapshot file ${file} does not exist`)
  let results
  try {
    results = await restoreCluster(file, { initialCluster: cfg.initialCluster, initialClusterToken: cfg.initialClusterToken, dataDirs }, { skipHashCheck: values['skip-hash-check'] === true })
  } catch (err) {
    if (err instanceof RestoreInputError) throw new UsageError(err.message)
    throw err
  }
  if (format(values) === 'json') {
    process.stdout.write(JSON.stringify(results.map(({ verified: _v, members: _m, ...rest }) => rest)) + '\n')
  } else {
    const r = results[0]!
    process.stdout.write(
      [
        `restored snapshot ${file} into ${results.length} members of cluster ${toHex(r.clusterId)}:`,
        ...results.map((x) => `  ${x.members.find((m) => m.ID === x.memberId)!.name}=${toHex(x.memberId)} in ${x.dataDir}`),
        `revision ${r.revision}${r.compactRevision ? ` (compacted at ${r.compactRevision})` : ''}, ${r.keys} keys, ${r.revisions} revisions, ${r.leases} leases; raft index ${r.index}, term ${r.term}`,
      ].join('\n') + '\n',
    )
  }
  return 0
}

async function runRestore(file: string, values: OptionValues): Promise<number> {
  const dataDirs = str(values, 'data-dirs')
  if (dataDirs !== undefined) return runRestoreAll(file, values, dataDirs)
  const w = format(values)
  // The member's own flag parser, so a restore accepts exactly what `raftdeck member` will.
  const argv: string[] = []
  for (const f of ['name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls', 'data-dir', 'wal-dir']) {
    const v = str(values, f)
    if (v !== undefined) argv.push(`--${f}`, v)
  }
  let cfg
  try {
    cfg = parseMemberFlags(argv)
  } catch (err) {
    if (err instanceof FlagError) throw new UsageError(err.message)
    throw err
  }
  let bump: number | undefined
  const bumpRaw = str(values, 'bump-revision')
  if (bumpRaw !== undefined) {
    if (!/^\d+$/.test(bumpRaw)) throw new UsageError(`invalid value "${bumpRaw}" for --bump-revision: a non-negative integer`)
    bump = Number(bumpRaw)
  }
  if (!fs.existsSync(file)) throw new UsageError(`snapshot file ${file} does not exist`)
  let r
  try {
    r = await restoreSnapshot(file, cfg, { ...(bump !== undefined ? { bumpRevision: bump } : {}), markCompacted: values['mark-compacted'] === true, skipHashCheck: values['skip-hash-check'] === true })
  } catch (err) {
    if (err instanceof RestoreInputError) throw new UsageError(err.message)
    throw err
  }
  if (w === 'json') {
    const { verified: _v, members, ...rest } = r
    process.stdout.write(JSON.stringify({ ...rest, members: members.map((m) => ({ ID: m.ID, name: m.name, peerURLs: m.peerURLs })) }) + '\n')
  } else {
    process.stdout.write(
      [
        `restored snapshot ${file} into ${r.dataDir}`,
        `member ${toHex(r.memberId)} (${cfg.name}) of cluster ${toHex(r.clusterId)}: ${r.members.map((m) => `${m.name}=${toHex(m.ID)}`).join(', ')}`,
        `revision ${r.revision}${r.compactRevision ? ` (compacted at ${r.compactRevision})` : ''}, ${r.keys} keys, ${r.revisions} revisions, ${r.leases} leases; raft index ${r.index}, term ${r.term}`,
        `start it with: raftdeck member --name ${cfg.name} --data-dir ${cfg.dataDir} --initial-cluster ${str(values, 'initial-cluster') ?? `${cfg.name}=${cfg.initialAdvertisePeerUrls.join(',')}`} --initial-cluster-token ${cfg.initialClusterToken} --initial-advertise-peer-urls ${cfg.initialAdvertisePeerUrls.join(',')} …`,
      ].join('\n') + '\n',
    )
  }
  return 0
}

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'Save, inspect, verify and restore etcd snapshots (etcd 3.4 format; restore targets raftdeck members).',
  usage: USAGE,
  allowPositionals: true,
  options: {
    endpoints: { type: 'string', value: 'URL', description: 'save: the one client URL to take the snapshot from.' },
    ...connectionOptions('save: '),
    'write-out': { type: 'string', short: 'w', value: 'FORMAT', description: 'status/verify/restore: table (default) or json.' },
    'skip-hash-check': { type: 'boolean', description: 'verify/restore: accept a file without SHA-256 trailer (a copied member/snap/db).' },
    name: { type: 'string', value: 'NAME', description: 'restore: this member’s name (default "default").' },
    'initial-cluster': { type: 'string', value: 'N=URL,…', description: 'restore: the new cluster’s members and peer URLs.' },
    'initial-cluster-token': { type: 'string', value: 'TOKEN', description: 'restore: a fresh token for the new cluster (default "etcd-cluster").' },
    'initial-advertise-peer-urls': { type: 'string', value: 'URLS', description: 'restore: this member’s peer URLs (default http://localhost:2380).' },
    'data-dir': { type: 'string', value: 'DIR', description: 'restore: the data dir to create (default NAME.etcd); must not exist.' },
    'wal-dir': { type: 'string', value: 'DIR', description: 'restore: a separate WAL dir to create (optional).' },
    'data-dirs': { type: 'string', value: 'N=DIR,…', description: 'restore: every member of --initial-cluster at once, reading the snapshot once (instead of --name/--data-dir).' },
    'bump-revision': { type: 'string', value: 'N', description: 'restore: move the revision N past the snapshot’s newest one.' },
    'mark-compacted': { type: 'boolean', description: 'restore: mark every revision up to the bumped one compacted (needs --bump-revision).' },
  },
  async run(values, positionals) {
    const sub = positionals[0] as Sub | undefined
    if (!sub || !(sub in SUB_OPTIONS)) {
      throw new UsageError(sub ? `unknown snapshot subcommand '${sub}'` : 'a subcommand is required: save, status, verify or restore', "Run 'raftdeck snapshot --help' for usage.")
    }
    const allowed = new Set(SUB_OPTIONS[sub])
    for (const [name, v] of Object.entries(values)) {
      if (v === undefined || name === 'help' || allowed.has(name)) continue
      throw new UsageError(`--${name} is not an option of 'snapshot ${sub}'`, `Options of 'snapshot ${sub}': ${[...allowed].map((o) => `--${o}`).join(' ')}`)
    }
    const file = oneFile(positionals, sub)
    try {
      if (sub === 'status') return await runStatus(file, values)
      if (sub === 'verify') return await runVerify(file, values)
      if (sub === 'save') return await runSave(file, values)
      return await runRestore(file, values)
    } catch (err) {
      if (err instanceof BboltError) return printSnapshotError(sub, err)
      throw err
    }
  },
}
