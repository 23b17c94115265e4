// `raftdeck backup systemd`: a service + timer pair that runs one schedule from systemd, for hosts
// where the operator prefers systemd to the app's own scheduler. The cron expression is translated to
// an OnCalendar= expression; what systemd cannot say the same way is refused rather than guessed.

import { AppError, ErrorCode, msg, type Msg } from '../../shared'
import type { BackupSchedule } from '../../shared/api/backupSchedules'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
const DAY_NAMES: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 }

function untranslatable(expr: string, why: Msg): AppError {
  return new AppError(ErrorCode.InvalidParams, msg('backup.systemd.untranslatable', { expr, why }), msg('backup.systemd.untranslatableHint'))
}

/** One numeric cron field (minute, hour, day, month, second) in OnCalendar syntax. */
function numericField(expr: string, field: string, width: number, first: number): string {
  if (field === '*') return '*'
  return field
    .split(',')
    .map((part) => {
      let m = /^\*\/(\d+)$/.exec(part)
      if (m) return `${String(first).padStart(width, '0')}/${Number(m[1])}`
      m = /^(\d+)\/(\d+)$/.exec(part)
      if (m) return `${m[1]!.padStart(width, '0')}/${Number(m[2])}`
      m = /^(\d+)-(\d+)$/.exec(part)
      if (m) return `${m[1]!.padStart(width, '0')}..${m[2]!.padStart(width, '0')}`
      if (/^\d+$/.test(part)) return part.padStart(width, '0')
      throw untranslatable(expr, msg('backup.systemd.why.field', { field }))
    })
    .join(',')
}

function dayOfWeek(expr: string, field: string): string {
  if (field === '*' || field === '?') return ''
  const num = (x: string) => {
    const n = /^\d+$/.test(x) ? Number(x) : DAY_NAMES[x.toUpperCase()]
    if (n === undefined || n > 7) throw untranslatable(expr, msg('backup.systemd.why.notADay', { day: x }))
    return n
  }
  return field
    .split(',')
    .map((part) => {
      const m = /^(\w+)-(\w+)$/.exec(part)
      if (m) return `${DAYS[num(m[1]!)]}..${DAYS[num(m[2]!)]}`
      if (part.includes('/') || part.includes('#') || part.includes('L')) throw untranslatable(expr, msg('backup.systemd.why.dayPart', { part }))
      return DAYS[num(part)]!
    })
    .join(',')
}

export function cronToOnCalendar(expr: string, timezone: string): string {
  const f = expr.trim().split(/\s+/)
  const [sec, min, hour, dom, mon, dow] = f.length === 6 ? f : ['0', ...f]
  if (f.length < 5 || f.length > 6) throw untranslatable(expr, msg('backup.systemd.why.fieldCount'))
  if (dom !== '*' && dom !== '?' && dow !== '*' && dow !== '?') throw untranslatable(expr, msg('backup.systemd.why.domOrDow'))
  if (/[a-z]/i.test(mon!)) throw untranslatable(expr, msg('backup.systemd.why.monthNames'))
  const days = dayOfWeek(expr, dow!)
  const date = `*-${numericField(expr, mon!, 2, 1)}-${numericField(expr, dom === '?' ? '*' : dom!, 2, 1)}`
  const time = `${numericField(expr, hour!, 2, 0)}:${numericField(expr, min!, 2, 0)}:${numericField(expr, sec!, 2, 0)}`
  return `${days ? `${days} ` : ''}${date} ${time}${timezone ? ` ${timezone}` : ''}`
}

const unitName = (name: string) => `raftdeck-backup-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`

export function systemdUnits(s: BackupSchedule, command: { execStart: string; dataDir: string; user: string }): { name: string; service: string; timer: string } {
  const onCalendar = cronToOnCalendar(s.cron, s.timezone)
  const name = unitName(s.name)
  const service = [
    '[Unit]',
    `Description=Raftdeck backup "${s.name}" (${s.cron}${s.timezone ? ` ${s.timezone}` : ''})`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `User=${command.user}`,
    // The same data folder as the app: same schedules, same lock, same sealed passwords.
    `ExecStart=${command.execStart} backup run --schedule ${JSON.stringify(s.name)} --data-dir ${JSON.stringify(command.dataDir)}`,
    'Nice=5',
    'IOSchedulingClass=best-effort',
    'IOSchedulingPriority=7',
    '',
  ].join('\n')
  const timer = [
    '[Unit]',
    `Description=Run the Raftdeck backup "${s.name}" on its schedule`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // Like the app: a run missed while the machine was off happens once at the next boot.
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n')
  return { name, service, timer }
}
