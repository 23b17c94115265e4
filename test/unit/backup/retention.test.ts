// Retention plans, the manifest fold, destination checks, the lock file and the systemd translation:
// the pieces of a run that need no cluster.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { planRetention, type RetentionCandidate } from '../../../src-main/services/backup/retention'
import { appendLine, ManifestReader, parseManifest, MANIFEST_NAME } from '../../../src-main/services/backup/manifest'
import { checkDestination } from '../../../src-main/services/backup/destination'
import { acquireLock, lockHolder } from '../../../src-main/services/backup/fileLock'
import { cronToOnCalendar } from '../../../src-main/services/backup/systemdUnits'
import { nextRuns } from '../../../src-main/services/backup/cron'
import { backupFileName } from '../../../src-main/services/backup/run'

const T = (iso: string) => Date.parse(iso)
const H = 3_600_000

/** One backup every 6 hours for `days` days, ending at `end`. */
function series(end: number, days: number): RetentionCandidate[] {
  const out: RetentionCandidate[] = []
  for (let t = end - days * 24 * H + 6 * H; t <= end; t += 6 * H) out.push({ file: backupFileName('c', t, t / 1000), createdAt: t, revision: t / 1000, bytes: 100 })
  return out
}

describe('retention plan', () => {
  const end = T('2026-06-30T18:00:00Z')
  const files = series(end, 70)

  it('keep-last keeps exactly the N newest', () => {
    const d = planRetention(files, { keepLast: 5 }, 'UTC', end)
    expect(d.filter((x) => x.keep).map((x) => x.createdAt)).toEqual([0, 1, 2, 3, 4].map((i) => end - i * 6 * H))
    expect(d.find((x) => !x.keep)!.reasons).toEqual(['kept by no rule'])
  })

  it('daily/weekly/monthly keep the newest file of each of the last N days, ISO weeks, months', () => {
    const d = planRetention(files, { keepDaily: 3, keepWeekly: 2, keepMonthly: 3 }, 'UTC', end)
    const kept = d.filter((x) => x.keep)
    const iso = (t: number) => new Date(t).toISOString().slice(0, 16)
    expect(kept.map((x) => iso(x.createdAt))).toEqual([
      '2026-06-30T18:00', // daily 06-30, weekly W27, monthly 06
      '2026-06-29T18:00', // daily 06-29
      '2026-06-28T18:00', // daily 06-28, weekly W26 (Sunday)
      '2026-05-31T18:00', // monthly 05
      '2026-04-30T18:00', // monthly 04
    ])
    expect(kept[0]!.reasons).toEqual(['daily 2026-06-30', 'weekly 2026-W27', 'monthly 2026-06'])
    expect(kept[2]!.reasons).toEqual(['daily 2026-06-28', 'weekly 2026-W26'])
  })

  it('buckets days in the schedule’s time zone', () => {
    // 23:30 UTC is already the next day in Tokyo.
    const two = [
      { file: 'a.db', createdAt: T('2026-06-01T23:30:00Z'), revision: 2, bytes: 1 },
      { file: 'b.db', createdAt: T('2026-06-01T12:00:00Z'), revision: 1, bytes: 1 },
    ]
    expect(planRetention(two, { keepDaily: 1 }, 'UTC', T('2026-06-02T00:00:00Z')).map((x) => x.keep)).toEqual([true, false])
    expect(planRetention(two, { keepDaily: 2 }, 'Asia/Tokyo', T('2026-06-02T00:00:00Z')).map((x) => x.reasons[0])).toEqual(['daily 2026-06-02', 'daily 2026-06-01'])
  })

  it('max age removes older files even if a rule keeps them, but never the newest verified', () => {
    const d = planRetention(files, { keepMonthly: 12, maxAgeDays: 40 }, 'UTC', end)
    const april = d.find((x) => x.reasons.some((r) => r.startsWith('monthly 2026-04')))!
    expect(april.keep).toBe(false)
    expect(april.reasons.join(' ')).toMatch(/but older than 40 d/)
    const old = [{ file: 'only.db', createdAt: end - 100 * 24 * H, revision: 1, bytes: 1 }]
    const only = planRetention(old, { maxAgeDays: 1 }, 'UTC', end)
    expect(only[0]).toMatchObject({ keep: true })
    expect(only[0]!.reasons.at(-1)).toMatch(/newest verified backup is never deleted/)
  })

  it('no rule keeps everything', () => {
    expect(planRetention(files, {}, 'UTC', end).every((x) => x.keep)).toBe(true)
  })
})

describe('manifest', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-manifest-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('folds transitions into runs, tracks owned files, and reads appended lines incrementally', async () => {
    const reader = new ManifestReader()
    await appendLine(dir, { v: 1, run: 'r1', at: 1, state: 'started', scheduleId: 's', scheduleName: 'n', trigger: 'manual', startedAt: 1, raftdeckVersion: 't' })
    await appendLine(dir, { v: 1, run: 'r1', at: 2, state: 'streamed', bytes: 10, sha256: 'ab' })
    let m = await reader.read(dir)
    expect(m.runs.get('r1')).toMatchObject({ state: 'streamed', outcome: 'running', bytes: 10, scheduleId: 's' })
    await appendLine(dir, { v: 1, run: 'r1', at: 3, state: 'committed', file: 'x.db' })
    await appendLine(dir, { v: 1, run: 'r1', at: 4, state: 'done', outcome: 'ok' })
    m = await reader.read(dir)
    expect(m.runs.get('r1')).toMatchObject({ state: 'done', outcome: 'ok', file: 'x.db' })
    expect([...m.owned.keys()]).toEqual(['x.db'])
    await appendLine(dir, { v: 1, event: 'deleted', at: 5, file: 'x.db', by: 'user' })
    expect((await reader.read(dir)).owned.size).toBe(0)
  })

  it('stays exact when reads overlap (the UI asks several times at once)', async () => {
    const reader = new ManifestReader()
    await appendLine(dir, { v: 1, run: 'r0', at: 0, state: 'committed', file: 'f0.db' })
    // Two reads at once of a small manifest, then it grows past twice that size.
    await Promise.all([reader.read(dir), reader.read(dir), reader.read(dir)])
    for (let i = 1; i < 40; i++) {
      await appendLine(dir, { v: 1, run: `r${i}`, at: i, state: 'committed', file: `f${i}.db` })
      if (i % 3 === 0) await appendLine(dir, { v: 1, event: 'deleted', at: i, file: `f${i}.db`, by: 'retention' })
    }
    const m = await reader.read(dir)
    expect(m.badLines).toBe(0)
    expect(m.runs.size).toBe(40)
    expect([...m.owned.keys()].sort()).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i === 0 || i % 3 !== 0).map((i) => `f${i}.db`).sort())
  })

  it('skips a torn last line and lines that name files outside the folder', () => {
    const text = [
      JSON.stringify({ v: 1, run: 'r', at: 1, state: 'committed', file: '../../etc/passwd' }),
      JSON.stringify({ v: 1, run: 'r2', at: 1, state: 'committed', file: 'ok.db' }),
      '{"v":1,"run":"r3","at":2,"sta',
    ].join('\n')
    const m = parseManifest(text)
    expect([...m.owned.keys()]).toEqual(['ok.db'])
    expect(m.badLines).toBe(2)
  })

  it('is JSON Lines on disk, one object per line', async () => {
    await appendLine(dir, { v: 1, run: 'r1', at: 1, state: 'started' })
    expect(existsSync(path.join(dir, MANIFEST_NAME))).toBe(true)
  })
})

describe('destination checks', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-dest-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('says exactly what is wrong: missing, not a folder, not enough space', async () => {
    await expect(checkDestination(path.join(dir, 'nfs-mount'), 0, false)).rejects.toThrow(/destination folder .*nfs-mount does not exist/)
    expect(existsSync(path.join(dir, 'nfs-mount'))).toBe(false)
    await checkDestination(path.join(dir, 'default'), 0, true)
    expect(existsSync(path.join(dir, 'default'))).toBe(true)
    writeFileSync(path.join(dir, 'file'), 'x')
    await expect(checkDestination(path.join(dir, 'file'), 0, false)).rejects.toThrow(/is not a folder/)
    await expect(checkDestination(dir, 2 ** 60, false)).rejects.toThrow(/MiB free; at least .* MiB is needed \(twice the last snapshot/)
    await expect(checkDestination('relative/dir', 0, false)).rejects.toThrow(/not an absolute path/)
  })
})

describe('lock file', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-lock-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses a second holder, names the first, and takes over a dead holder’s lock', async () => {
    const file = path.join(dir, 's.lock')
    const held = await acquireLock(file, 'run A')
    await expect(acquireLock(file, 'run B')).rejects.toThrow(new RegExp(`held by process ${process.pid} .*run A`))
    expect((await lockHolder(file))?.purpose).toBe('run A')
    await held.release()
    expect(existsSync(file)).toBe(false)
    // A holder that died without releasing (a pid that cannot exist now).
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeFileSync(file, JSON.stringify({ pid: Number(dead), host: os.hostname(), since: 1, purpose: 'crashed run' }))
    expect(await lockHolder(file)).toBeNull()
    const again = await acquireLock(file, 'run C')
    expect((await lockHolder(file))?.purpose).toBe('run C')
    await again.release()
  })
})

describe('systemd OnCalendar', () => {
  it('translates the presets and common forms', () => {
    expect(cronToOnCalendar('0 * * * *', '')).toBe('*-*-* *:00:00')
    expect(cronToOnCalendar('0 */6 * * *', 'UTC')).toBe('*-*-* 00/6:00:00 UTC')
    expect(cronToOnCalendar('0 2 * * *', 'Europe/Berlin')).toBe('*-*-* 02:00:00 Europe/Berlin')
    expect(cronToOnCalendar('0 2 * * 0', '')).toBe('Sun *-*-* 02:00:00')
    expect(cronToOnCalendar('15 3 * * 1-5', '')).toBe('Mon..Fri *-*-* 03:15:00')
    expect(cronToOnCalendar('0 4 1,15 * *', '')).toBe('*-*-01,15 04:00:00')
  })

  it('refuses what systemd would read differently', () => {
    expect(() => cronToOnCalendar('0 2 1 * 1', '')).toThrow(/day of the month OR the day of the week/)
    expect(() => cronToOnCalendar('0 2 * * 1#2', '')).toThrow(/no systemd equivalent/)
  })

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('agrees with systemd-analyze on the next runs', () => {
    for (const [cron, tz] of [['0 */6 * * *', 'UTC'], ['0 2 * * *', 'Europe/Berlin'], ['15 3 * * 1-5', 'UTC'], ['0 4 1,15 * *', 'UTC']] as const) {
      const cal = cronToOnCalendar(cron, tz)
      const out = execFileSync('/usr/bin/systemd-analyze', ['calendar', '--iterations=3', cal], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })
      const theirs = [...out.matchAll(/(?:Next elapse|Iter\. #\d):\s+\w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)].map((m) => Date.parse(`${m[1]!.replace(' ', 'T')}Z`))
      expect(theirs).toHaveLength(3)
      expect(nextRuns(cron, tz, theirs[0]! - 1000, 3)).toEqual(theirs)
    }
  })
})
