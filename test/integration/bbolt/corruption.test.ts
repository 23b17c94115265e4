// Damaged snapshots: our verify must reject every file etcdctl 3.4's restore rejects,
// each with its own error class, and must not write anything while doing so.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EtcdProcess, ETCDCTL, removeTempDirs, run, stopAll, tempDir } from './etcdHarness'
import {
  HashMismatchError,
  InconsistentDbError,
  MissingHashError,
  NotBboltFileError,
  SnapshotNotFoundError,
  TruncatedSnapshotError,
  openDbBytes,
  verifySnapshot,
} from '../../../src-main/bbolt'
import type { BboltError } from '../../../src-main/bbolt'

let dir: string
let original: Uint8Array

beforeAll(async () => {
  dir = tempDir()
  const etcd = await EtcdProcess.start()
  try {
    for (let i = 0; i < 200; i++) await etcd.ctlOk(['put', `/c/${i}`, `value-${i}-${'q'.repeat(i)}`])
    await etcd.ctlOk(['snapshot', 'save', join(dir, 'good.db')])
  } finally {
    await etcd.stop()
  }
  original = new Uint8Array(readFileSync(join(dir, 'good.db')))
})

afterAll(async () => {
  await stopAll()
  removeTempDirs()
})

const withTrailer = (db: Uint8Array): Uint8Array => {
  const out = new Uint8Array(db.length + 32)
  out.set(db)
  out.set(createHash('sha256').update(db).digest(), db.length)
  return out
}

function variant(name: string, bytes: Uint8Array): string {
  const p = join(dir, name)
  writeFileSync(p, bytes)
  return p
}

/** Runs etcdctl's restore into a fresh dir and returns its error text ('' if it succeeded). */
async function etcdctlRestoreError(file: string): Promise<string> {
  const target = join(tempDir(), 'restore-target')
  const r = await run(ETCDCTL, ['snapshot', 'restore', file, '--data-dir', target])
  return r.code === 0 ? '' : r.stderr + r.stdout
}

function fingerprint(): string {
  return readdirSync(dir)
    .sort()
    .map((f) => {
      const p = join(dir, f)
      const st = statSync(p)
      return `${f}:${st.size}:${st.mtimeMs}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`
    })
    .join('\n')
}

function verifyError(file: string): BboltError {
  try {
    verifySnapshot(file)
  } catch (e) {
    return e as BboltError
  }
  throw new Error(`verify accepted ${file}`)
}

describe('verify rejects what etcdctl restore rejects', () => {
  it('accepts the untouched snapshot, as etcdctl restore does', async () => {
    expect(verifySnapshot(join(dir, 'good.db')).hasHash).toBe(true)
    expect(await etcdctlRestoreError(join(dir, 'good.db'))).toBe('')
  })

  const cases: Array<{ name: string; make: () => Uint8Array; error: new (...a: never[]) => BboltError; etcd: RegExp }> = [
    {
      name: 'flipped byte in a data page',
      make: () => {
        const b = original.slice()
        b[Math.floor((b.length - 32) / 2)]! ^= 0x40
        return b
      },
      error: HashMismatchError,
      etcd: /expected sha256/,
    },
    {
      name: 'flipped byte in meta page 0',
      make: () => {
        const b = original.slice()
        b[16 + 20]! ^= 0x01
        return b
      },
      error: HashMismatchError,
      etcd: /expected sha256/,
    },
    {
      name: 'flipped byte in the trailer',
      make: () => {
        const b = original.slice()
        b[b.length - 1]! ^= 0xff
        return b
      },
      error: HashMismatchError,
      etcd: /expected sha256/,
    },
    { name: 'cut at an odd size', make: () => original.slice(0, original.length - 1000), error: TruncatedSnapshotError, etcd: /missing hash/ },
    {
      name: 'cut by whole pages (size still looks like it has a trailer)',
      make: () => original.slice(0, original.length - 8192),
      error: TruncatedSnapshotError,
      etcd: /expected sha256/,
    },
    { name: 'no trailer (raw db copy)', make: () => original.slice(0, original.length - 32), error: MissingHashError, etcd: /missing hash/ },
    {
      name: 'not a bbolt file',
      make: () => new TextEncoder().encode('this is a text file, not a snapshot\n'.repeat(300)),
      error: NotBboltFileError,
      etcd: /missing hash|invalid|sha256/,
    },
    {
      name: 'not a bbolt file, but with a valid SHA-256 trailer',
      make: () => withTrailer(new Uint8Array(4096 * 4).fill(0x5a)),
      error: NotBboltFileError,
      etcd: /invalid database/,
    },
  ]

  for (const c of cases) {
    it(`${c.name}: ${c.error.name}`, async () => {
      const file = variant(c.name.replace(/\W+/g, '-') + '.db', c.make())
      const before = fingerprint()
      const err = verifyError(file)
      expect(err).toBeInstanceOf(c.error)
      expect(err.message.length).toBeGreaterThan(20)
      expect(err.hint.length).toBeGreaterThan(10)
      // Verify wrote nothing: same files, sizes, times and contents.
      expect(fingerprint()).toBe(before)
      expect(await etcdctlRestoreError(file)).toMatch(c.etcd)
    })
  }

  it('a valid trailer over a structurally broken db: InconsistentDbError, and etcdctl status rejects it too', async () => {
    const db = original.slice(0, original.length - 32)
    const parsed = openDbBytes(db)
    // Turn the root page into a page of an invalid type, then re-seal the trailer.
    const root = parsed.meta.root * parsed.pageSize
    db[root + 8] = 0x20
    const file = variant('bad-structure.db', withTrailer(db))
    const err = verifyError(file)
    expect(err).toBeInstanceOf(InconsistentDbError)
    expect(err.message).toContain('invalid type')
    const status = await run(ETCDCTL, ['snapshot', 'status', file])
    expect(status.code).not.toBe(0)
  })

  it('a missing file: SnapshotNotFoundError', () => {
    expect(verifyError(join(dir, 'nope.db'))).toBeInstanceOf(SnapshotNotFoundError)
  })
})
