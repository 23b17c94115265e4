// `raftdeck backup …`: scheduled backups without the UI. The same schedule store, manifests and locks
// as the app, so a schedule added here shows in the Backups area and the other way round.
//
//   backup schedule add NAME (--connection C | --playground P | --endpoints URL,… [TLS/auth flags]) --cron EXPR …
//   backup schedule list [-w json] | backup schedule remove NAME
//   backup run --schedule NAME            exit 0 when the run succeeded, 1 when it failed
//   backup list [--schedule NAME] [-w json]
//   backup prune [--schedule NAME] [--dry-run]
//   backup systemd --schedule NAME        prints a service + timer pair

import { userInfo } from 'node:os'
import path from 'node:path'
import { AppError, ErrorCode, type Target } from '../shared'
import type { BackupRun, RetentionPolicy } from '../shared/api/backupSchedules'
import { defaultDataDir } from '../services/app/dataDir'
import { packageRoot, packageVersion } from '../services/app/packageRoot'
import { humanDuration } from '../services/backup/cron'
import { RUN_STEP } from '../services/backup/run'
import { headlessBackups } from '../services/backup/headless'
import { describePolicy } from '../services/backup/retention'
import { systemdUnits } from '../services/backup/systemdUnits'
import type { SshHopInput, SshTunnelInput } from '../shared/dto'
import { fingerprint } from '../services/ssh/hostKeys'
import type { SshTunnel } from '../services/ssh/tunnel'
import { authFromFlags, connectionOptions, tunnelFromFlags } from './etcdFlags'
import { stderrLog, UsageError, type Command, type OptionValues } from './command'

const SUBS: Record<string, readonly string[]> = {
  'schedule add': ['connection', 'playground', 'endpoints', 'cacert', 'cert', 'key', 'server-name', 'insecure-skip-tls-verify', 'user', 'ssh-tunnel', 'ssh-key', 'ssh-known-hosts', 'cron', 'timezone', 'dest', 'keep-last', 'keep-daily', 'keep-weekly', 'keep-monthly', 'max-age-days', 'no-trial-restore', 'disabled'],
  'schedule list': ['write-out'],
  'schedule remove': [],
  run: ['schedule'],
  list: ['schedule', 'write-out'],
  prune: ['schedule', 'dry-run'],
  systemd: ['schedule', 'run-as'],
}

const USAGE = [
  'raftdeck backup schedule add NAME (--connection NAME | --playground NAME | --endpoints URL,… [--cacert F --cert F --key F] [--user NAME[:PASSWORD]]',
  '                                  [--ssh-tunnel USER@HOST[:PORT][,…] --ssh-key FILE --ssh-known-hosts FILE])',
  '                                  --cron EXPR [--timezone TZ] [--dest DIR] [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N]',
  '                                  [--max-age-days N] [--no-trial-restore] [--disabled]',
  '       raftdeck backup schedule list [-w table|json]',
  '       raftdeck backup schedule remove NAME',
  '       raftdeck backup run --schedule NAME',
  '       raftdeck backup list [--schedule NAME] [-w table|json]',
  '       raftdeck backup prune [--schedule NAME] [--dry-run]',
  '       raftdeck backup systemd --schedule NAME [--run-as USER]',
  'Every subcommand takes --data-dir DIR (default: the app’s data folder, or $RAFTDECK_DATA_DIR).',
].join('\n')

const str = (v: OptionValues, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined)

function count(v: OptionValues, k: string): number | undefined {
  const raw = str(v, k)
  if (raw === undefined) return undefined
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${k} must be a non-negative number, got '${raw}'`)
  return Number(raw)
}

function format(v: OptionValues): 'table' | 'json' {
  const w = str(v, 'write-out') ?? 'table'
  if (w !== 'table' && w !== 'json') throw new UsageError(`-w must be table or json, got '${w}'`)
  return w
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

const mib = (n: number | null) => (n === null ? '-' : `${(n / (1024 * 1024)).toFixed(1)} MiB`)

function describeRun(r: BackupRun): string {
  if (r.outcome === 'ok') return `OK: ${r.file} (revision ${r.revision}, ${mib(r.bytes)}, sha256 ${r.sha256}${r.restorable === true ? ', restorable' : r.restorable === null ? '' : ''}) from ${r.memberName ?? r.endpoint} in ${((r.durationMs ?? 0) / 1000).toFixed(1)} s${r.pruned.length ? `; retention deleted ${r.pruned.join(', ')}` : ''}`
  return `FAILED while ${RUN_STEP[r.reached ?? r.state]}: ${r.reason}${r.hint ? `\nhint: ${r.hint}` : ''}`
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Scheduled backups without the UI: schedules, runs for cron/systemd, the catalogue and retention.',
  usage: USAGE,
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string', value: 'DIR', description: 'The data folder shared with the app (schedules, connections, locks).' },
    schedule: { type: 'string', value: 'NAME', description: 'run/list/prune/systemd: the schedule.' },
    connection: { type: 'string', value: 'NAME', description: 'schedule add: back up this saved connection.' },
    playground: { type: 'string', value: 'NAME', description: 'schedule add: back up this playground (it must run in the app).' },
    endpoints: { type: 'string', value: 'URLS', description: 'schedule add: client URLs; saved as a connection named after the schedule (password sealed).' },
    ...connectionOptions('schedule add: '),
    cron: { type: 'string', value: 'EXPR', description: 'schedule add: cron expression, e.g. "0 2 * * *" (presets: "0 * * * *", "0 */6 * * *", "0 2 * * 0").' },
    timezone: { type: 'string', value: 'TZ', description: 'schedule add: IANA time zone of the expression (default: this machine’s).' },
    dest: { type: 'string', value: 'DIR', description: 'schedule add: destination folder (default: <data dir>/backups/NAME); it must exist.' },
    'keep-last': { type: 'string', value: 'N', description: 'schedule add: keep the N newest backups.' },
    'keep-daily': { type: 'string', value: 'N', description: 'schedule add: keep one backup for each of the last N days.' },
    'keep-weekly': { type: 'string', value: 'N', description: 'schedule add: keep one backup for each of the last N weeks.' },
    'keep-monthly': { type: 'string', value: 'N', description: 'schedule add: keep one backup for each of the last N months.' },
    'max-age-days': { type: 'string', value: 'N', description: 'schedule add: delete backups older than N days (never the newest verified).' },
    'no-trial-restore': { type: 'boolean', description: 'schedule add: do not restore each backup into a throwaway member to prove it.' },
    disabled: { type: 'boolean', description: 'schedule add: create it disabled (the app does not run it; `backup run` still can).' },
    'run-as': { type: 'string', value: 'USER', description: 'systemd: the User= of the service (default: you).' },
    'dry-run': { type: 'boolean', description: 'prune: only list what would be deleted.' },
    'write-out': { type: 'string', short: 'w', value: 'FORMAT', description: 'list/schedule list: table (default) or json.' },
  },
  async run(values, positionals) {
    const sub = positionals[0] === 'schedule' ? `schedule ${positionals[1] ?? ''}`.trim() : (positionals[0] ?? '')
    if (!(sub in SUBS)) throw new UsageError(sub ? `unknown backup subcommand '${sub}'` : 'a subcommand is required', `Usage:\n${USAGE}`)
    const allowed = new Set([...SUBS[sub]!, 'data-dir', 'help'])
    for (const [k, v] of Object.entries(values)) if (v !== undefined && !allowed.has(k)) throw new UsageError(`--${k} is not an option of 'backup ${sub}'`)
    const args = positionals.slice(sub.startsWith('schedule') ? 2 : 1)
    const dataDir = str(values, 'data-dir') ? path.resolve(str(values, 'data-dir')!) : defaultDataDir()
    const log = stderrLog()
    const h = headlessBackups(dataDir, log, packageVersion())
    try {
      switch (sub) {
        case 'schedule add':
          return await scheduleAdd(h, args, values)
        case 'schedule list':
          return await scheduleList(h, values)
        case 'schedule remove': {
          if (args.length !== 1) throw new UsageError('schedule remove needs the schedule NAME')
          const s = await h.schedules.remove((await h.schedules.store.get(args[0]!)).id)
          process.stdout.write(`Removed schedule "${s.name}". Its backups in ${s.destination} and its connection stay.\n`)
          return 0
        }
        case 'run': {
          const name = str(values, 'schedule')
          if (!name) throw new UsageError('--schedule NAME is required')
          const s = await h.schedules.store.get(name)
          await h.schedules.recoverInterrupted()
          const r = await h.schedules.runSchedule(s, 'cli')
          ;(r.outcome === 'ok' ? process.stdout : process.stderr).write(describeRun(r) + '\n')
          return r.outcome === 'ok' ? 0 : 1
        }
        case 'list':
          return await list(h, values)
        case 'prune': {
          const dry = values['dry-run'] === true
          const names = str(values, 'schedule') ? [str(values, 'schedule')!] : (await h.schedules.store.list()).map((s) => s.name)
          let failed = 0
          for (const n of names) {
            try {
              const { schedule, deleted, preview } = await h.schedules.pruneNow((await h.schedules.store.get(n)).id, dry)
              process.stdout.write(`${schedule.name} (${describePolicy(schedule.retention)}): ${dry ? 'would delete' : 'deleted'} ${deleted.length} of ${preview.decisions.length}\n`)
              for (const d of preview.decisions) process.stdout.write(`  ${d.keep ? 'keep  ' : dry ? 'delete' : 'gone  '} ${d.file}  ${d.reasons.join('; ')}\n`)
              for (const f of preview.foreign) process.stdout.write(`  skip   ${f}  not written by this schedule (never touched)\n`)
            } catch (err) {
              if (!(err instanceof AppError)) throw err
              failed++
              process.stderr.write(`${n}: ${err.message}${err.hint ? ` ${err.hint}` : ''}\n`)
            }
          }
          return failed ? 1 : 0
        }
        case 'systemd': {
          const name = str(values, 'schedule')
          if (!name) throw new UsageError('--schedule NAME is required')
          const s = await h.schedules.store.get(name)
          const exec = `${process.execPath} ${path.join(packageRoot(), 'bin', 'raftdeck.mjs')}`
          const u = systemdUnits(s, { execStart: exec, dataDir, user: str(values, 'run-as') ?? userInfo().username })
          process.stdout.write(
            [`# /etc/systemd/system/${u.name}.service`, u.service, `# /etc/systemd/system/${u.name}.timer`, u.timer, `# then: systemctl daemon-reload && systemctl enable --now ${u.name}.timer`, ''].join('\n'),
          )
          return 0
        }
      }
      return 2
    } catch (err) {
      if (err instanceof AppError) {
        process.stderr.write(`raftdeck backup ${sub}: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`)
        return 1
      }
      throw err
    } finally {
      h.close()
    }
  },
}

async function scheduleAdd(h: ReturnType<typeof headlessBackups>, args: string[], v: OptionValues): Promise<number> {
  if (args.length !== 1) throw new UsageError('schedule add needs exactly one NAME', 'Example: raftdeck backup schedule add nightly --connection prod --cron "0 2 * * *"')
  const name = args[0]!
  const cron = str(v, 'cron')
  if (!cron) throw new UsageError('--cron is required', 'Presets: "0 * * * *" hourly, "0 */6 * * *" every 6 h, "0 2 * * *" daily at 02:00, "0 2 * * 0" weekly.')
  const sources = ['connection', 'playground', 'endpoints'].filter((k) => str(v, k))
  if (sources.length !== 1) throw new UsageError('give exactly one of --connection, --playground or --endpoints')
  let target: Target
  if (str(v, 'connection')) {
    const wanted = str(v, 'connection')!
    const c = (await h.connections.list()).find((x) => x.name.toLowerCase() === wanted.toLowerCase() || x.id === wanted)
    if (!c) throw new UsageError(`no saved connection named "${wanted}"`, 'Save it in the app, or give --endpoints with the TLS and auth flags.')
    target = { kind: 'connection', id: c.id }
  } else if (str(v, 'playground')) {
    target = { kind: 'playground', id: await h.playgroundId(str(v, 'playground')!) }
  } else {
    for (const k of ['connection', 'playground']) if (str(v, k)) throw new UsageError(`--${k} and --endpoints exclude each other`)
    const endpoints = str(v, 'endpoints')!.split(',').map((e) => e.trim()).filter(Boolean)
    const auth = authFromFlags(v)
    const abs = (k: string) => (str(v, k) ? path.resolve(str(v, k)!) : undefined)
    const tls = { caFile: abs('cacert'), certFile: abs('cert'), keyFile: abs('key'), serverName: str(v, 'server-name'), insecureSkipVerify: v['insecure-skip-tls-verify'] === true ? true : undefined }
    const clean = Object.fromEntries(Object.entries(tls).filter(([, x]) => x !== undefined))
    // The endpoints become a saved connection named after the schedule: its password is sealed with
    // the data folder's key like every connection's, never written in plain text.
    const existing = (await h.connections.list()).find((x) => x.name.toLowerCase() === name.toLowerCase())
    if (existing) throw new UsageError(`a connection named "${name}" already exists`, `Use --connection "${existing.name}" to back it up, or choose another schedule name.`)
    const ssh = await tunnelProfile(tunnelFromFlags(v))
    const saved = await h.connections.save({
      name,
      endpoints,
      ...(Object.keys(clean).length ? { tls: clean } : {}),
      ...(auth ? { username: auth.username, password: auth.password } : {}),
      ...(ssh ? { ssh } : {}),
      readOnly: true,
    })
    const sealed = [auth ? 'password' : '', ssh?.hops.some((x) => x.passphrase || x.password) ? 'SSH secret' : ''].filter(Boolean)
    process.stdout.write(`Saved the endpoints as the read-only connection "${saved.name}"${ssh ? ` through ${ssh.hops.map((x) => `${x.user}@${x.host}:${x.port}`).join(' → ')}` : ''}${sealed.length ? ` (${sealed.join(' and ')} sealed)` : ''}.\n`)
    target = { kind: 'connection', id: saved.id }
  }
  const retention: RetentionPolicy = {}
  const map: [keyof RetentionPolicy, string][] = [['keepLast', 'keep-last'], ['keepDaily', 'keep-daily'], ['keepWeekly', 'keep-weekly'], ['keepMonthly', 'keep-monthly'], ['maxAgeDays', 'max-age-days']]
  for (const [key, flag] of map) {
    const n = count(v, flag)
    if (n !== undefined) retention[key] = n
  }
  const s = await h.schedules.save({
    name,
    target,
    cron,
    timezone: str(v, 'timezone') ?? '',
    enabled: v.disabled !== true,
    ...(str(v, 'dest') ? { destination: path.resolve(str(v, 'dest')!) } : {}),
    retention,
    trialRestore: v['no-trial-restore'] !== true,
  })
  const view = await h.schedules.view(s)
  process.stdout.write(
    `Schedule "${s.name}": ${view.description} (${s.timezone || 'local time'}) → ${s.destination}; ${describePolicy(s.retention)}; trial restore ${s.trialRestore ? 'on' : 'off'}${s.enabled ? '' : '; disabled'}.\n` +
      `Next runs: ${view.nextRuns.map((t) => new Date(t).toISOString()).join(', ') || '-'}\n`,
  )
  return 0
}

async function scheduleList(h: ReturnType<typeof headlessBackups>, v: OptionValues): Promise<number> {
  const views = await h.schedules.list()
  if (format(v) === 'json') {
    process.stdout.write(JSON.stringify(views, null, 2) + '\n')
    return 0
  }
  const rows = [['NAME', 'CLUSTER', 'CRON', 'NEXT RUN', 'LAST RESULT', 'FRESHNESS', 'DESTINATION']]
  for (const s of views)
    rows.push([s.name, s.targetName ?? '?', `${s.cron}${s.timezone ? ` ${s.timezone}` : ''}${s.enabled ? '' : ' (disabled)'}`, s.nextRuns[0] ? new Date(s.nextRuns[0]).toISOString() : '-', s.lastRun ? `${s.lastRun.outcome} ${humanDuration(Date.now() - s.lastRun.startedAt)} ago` : 'never', s.freshness.text, s.destination])
  process.stdout.write(table(rows) + '\n')
  return 0
}

async function list(h: ReturnType<typeof headlessBackups>, v: OptionValues): Promise<number> {
  const name = str(v, 'schedule')
  const id = name ? (await h.schedules.store.get(name)).id : undefined
  const files = await h.schedules.catalog(id)
  if (format(v) === 'json') {
    process.stdout.write(JSON.stringify(files, null, 2) + '\n')
    return 0
  }
  const rows = [['TAKEN (UTC)', 'SCHEDULE', 'REVISION', 'SIZE', 'RESTORABLE', 'SHA-256', 'PATH']]
  for (const f of files) rows.push([new Date(f.createdAt).toISOString(), f.scheduleName, String(f.revision ?? '-'), mib(f.bytes), f.restorable === null ? 'not tried' : f.restorable ? 'yes' : 'NO', (f.sha256 ?? '-').slice(0, 16), f.path])
  process.stdout.write(table(rows) + '\n')
  return 0
}

/**
 * The tunnel the --ssh-* flags describe, as a connection profile's settings. The tunnel is brought up
 * once first, so a wrong key, passphrase or host key fails here with its own message instead of at
 * 02:00 in a cron job; the host key each hop presented (and known_hosts trusts) is pinned in the profile.
 */
async function tunnelProfile(tunnel: SshTunnel | undefined): Promise<SshTunnelInput | undefined> {
  if (!tunnel) return undefined
  try {
    await tunnel.connect()
  } finally {
    tunnel.close()
  }
  const hops = tunnel.hops.map((hop, i): SshHopInput => {
    const presented = tunnel.presentedHostKeys[i]
    if (!presented) throw new AppError(ErrorCode.Internal, `SSH tunnel: no host key was recorded for ${hop.user}@${hop.host}:${hop.port}.`)
    const hostKey = { algorithm: presented.algorithm, key: presented.blob.toString('base64'), fingerprint: fingerprint(presented.blob), trustedAt: Date.now() }
    const base = { host: hop.host, port: hop.port, user: hop.user, hostKey }
    if (hop.auth.kind === 'key') return { ...base, auth: 'key', keyFile: path.resolve(hop.auth.keyFile), ...(hop.auth.passphrase ? { passphrase: hop.auth.passphrase } : {}) }
    if (hop.auth.kind === 'password') return { ...base, auth: 'password', ...(hop.auth.password ? { password: hop.auth.password } : {}) }
    return { ...base, auth: 'agent' }
  })
  return { hops }
}
