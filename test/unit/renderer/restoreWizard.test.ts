// The restore wizard's state machine: which step may be opened from what is known, where it lands when
// facts change, field problems per row, and the plan folder as one tar download.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatMessage } from '../../../src-main/shared/i18n/message'
import en from '../../../src-renderer/src/i18n/locales/en/restore'
import { blockedReason, clampStep, emptyRow, nextStep, rowProblems, STEPS, tarArchive, type WizardFacts } from '../../../src-renderer/src/stores/restore.shared'

/** The English text of a restore.blocked.* key. */
const blocked = (key: string | null) => (key ? en.blocked[key.replace(/^restore\.blocked\./, '') as keyof typeof en.blocked] : key)

const none: WizardFacts = { targetValid: false, snapshotOk: false, snapshotBroken: false, liveReachable: false, planMade: false }
const ready: WizardFacts = { targetValid: true, snapshotOk: true, snapshotBroken: false, liveReachable: true, planMade: true }

describe('the restore wizard', () => {
  it('opens target and snapshot at once, and nothing after them until both are good', () => {
    expect(STEPS.filter((s) => blockedReason(s, none) === null)).toEqual(['target', 'snapshot'])
    expect(blocked(blockedReason('impact', { ...none, snapshotOk: true }))).toMatch(/Describe the target/)
    expect(blocked(blockedReason('plan', { ...none, targetValid: true, snapshotBroken: true }))).toMatch(/failed verification/)
    expect(blocked(blockedReason('rehearse', { ...ready, planMade: false }))).toMatch(/Make the plan/)
    expect(STEPS.every((s) => blockedReason(s, ready) === null)).toBe(true)
  })

  it('skips the impact preview when no live cluster answers, and stops where it must', () => {
    expect(nextStep('snapshot', { ...ready, liveReachable: false, planMade: false })).toBe('plan')
    expect(nextStep('snapshot', ready)).toBe('impact')
    expect(nextStep('plan', { ...ready, planMade: false })).toBeNull()
    expect(nextStep('verify', ready)).toBeNull()
  })

  it('falls back to the last step still allowed when the facts change (a new snapshot drops the plan)', () => {
    expect(clampStep('verify', { ...ready, planMade: false })).toBe('plan')
    expect(clampStep('plan', { ...ready, snapshotOk: false, snapshotBroken: true, planMade: false })).toBe('snapshot')
    expect(clampStep('impact', ready)).toBe('impact')
  })

  it('refuses bad rows at the field, and a new empty row is only incomplete', () => {
    const rows = [
      { ...emptyRow(0), name: 'a', peerURL: 'https://10.0.0.1:2380', clientURL: 'https://10.0.0.1:2379' },
      { ...emptyRow(1), name: 'a', peerURL: 'https://10.0.0.1:2380', clientURL: 'http://x', dataDir: 'data' },
    ]
    const p = rowProblems(rows)
    expect(Object.keys(p).sort()).toEqual(['1.clientURL', '1.dataDir', '1.name', '1.peerURL'])
    const empty = rowProblems([emptyRow(0)])
    expect(formatMessage(empty['0.peerURL']!)).toMatch(/peer URL/)
    expect(formatMessage(empty['0.clientURL']!)).toMatch(/client URL/)
  })

  it('packs the plan folder as a tar that tar(1) reads back, modes included', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'raftdeck-tar-'))
    try {
      const tar = tarArchive('restore-plan-x', [
        { name: 'restore-a.sh', content: '#!/usr/bin/env bash\necho ü\n', executable: true },
        { name: 'README.md', content: '# plan\n'.repeat(200), executable: false },
      ])
      fs.writeFileSync(path.join(tmp, 'p.tar'), tar)
      execFileSync('tar', ['-xf', 'p.tar'], { cwd: tmp })
      expect(fs.readFileSync(path.join(tmp, 'restore-plan-x', 'restore-a.sh'), 'utf8')).toBe('#!/usr/bin/env bash\necho ü\n')
      expect(fs.statSync(path.join(tmp, 'restore-plan-x', 'restore-a.sh')).mode & 0o777).toBe(0o755)
      expect(fs.readFileSync(path.join(tmp, 'restore-plan-x', 'README.md'), 'utf8')).toBe('# plan\n'.repeat(200))
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  })
})
