// Plans on disk: a folder per plan with the scripts, README, plan.json and, when the bump is written
// into the snapshot, that copy. A folder is written as <dir>.part and renamed into place, so it is
// either complete or absent; an existing folder is never overwritten.

import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readdirSync } from 'node:fs'
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { verifySnapshot, writeBumpedSnapshot } from '../../bbolt'
import { AppError, ErrorCode, msg } from '../../shared'
import type { PlanMemberInput, RenderedPlan, RestorePlan } from '../../shared/api/restore'
import { writeFileAtomic } from '../fsAtomic'
import { buildPlan, type PlanOptions, type SnapshotFacts } from './plan'
import { renderPlan } from './scripts'
import { lowerBound, SnapshotIndex } from './snapshotIndex'

/** SHA-256 of a whole file, as sha256sum prints it. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')))
  })
}

export const bumpedFileName = (snapshotFile: string, bump: number) => `${snapshotFile.replace(/\.db$/, '')}-bumped-${bump}.db`

async function fsyncDir(dir: string) {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Computes the plan and writes its folder into `dir` (which must not exist, or be empty): the plan is
 * built once to decide the bump, the bumped copy (if needed) is written, then the plan is final.
 */
export async function makePlanFolder(dir: string, snapshot: SnapshotFacts, members: PlanMemberInput[], o: PlanOptions): Promise<RenderedPlan> {
  const draft = buildPlan(snapshot, members, o)
  const target = path.resolve(dir)
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new AppError(ErrorCode.FailedPrecondition, msg('restore.errors.folderNotEmpty', { dir: target }), msg('restore.errors.folderNotEmptyHint'))
  const part = `${target}.part-${process.pid}`
  await rm(part, { recursive: true, force: true })
  await mkdir(part, { recursive: true, mode: 0o700 })
  try {
    let restoreFile = { fileName: snapshot.fileName, sha256: snapshot.sha256, bytes: snapshot.bytes }
    if (draft.bump?.mode === 'file') {
      const fileName = bumpedFileName(snapshot.fileName, draft.bump.revision)
      writeBumpedSnapshot(snapshot.path, path.join(part, fileName), BigInt(draft.bump.revision))
      const st = await stat(path.join(part, fileName))
      restoreFile = { fileName, sha256: await sha256File(path.join(part, fileName)), bytes: st.size }
    }
    const plan: RestorePlan = { ...draft, restoreFile }
    const rendered = renderPlan(plan)
    for (const f of rendered.files) {
      await writeFileAtomic(path.join(part, f.name), f.content, f.executable ? 0o700 : 0o600)
      if (f.executable) await chmod(path.join(part, f.name), 0o700)
    }
    if (existsSync(target)) await rm(target, { recursive: true })
    await rename(part, target)
    await fsyncDir(path.dirname(target))
    return { ...rendered, dir: target }
  } catch (err) {
    await rm(part, { recursive: true, force: true })
    throw err
  }
}

/** A plan folder's plan.json, re-rendered (the files are a function of it). */
export async function readPlanFolder(dir: string): Promise<RenderedPlan> {
  let plan: RestorePlan
  try {
    plan = JSON.parse(await readFile(path.join(dir, 'plan.json'), 'utf8')) as RestorePlan
  } catch (err) {
    throw new AppError(ErrorCode.NotFound, msg('restore.errors.noPlan', { dir, detail: (err as Error).message }), msg('restore.errors.noPlanHint'))
  }
  if (plan.version !== 1 || !Array.isArray(plan.members)) throw new AppError(ErrorCode.InvalidParams, msg('restore.errors.notPlan', { file: `${dir}/plan.json` }))
  return { ...renderPlan(plan), dir: path.resolve(dir) }
}

/** Records something that happened to a plan (a rehearsal, a verification) in its folder. */
export async function recordInPlan(dir: string, kind: string, value: unknown): Promise<void> {
  const records = path.join(dir, 'records')
  await mkdir(records, { recursive: true, mode: 0o700 })
  await writeFileAtomic(path.join(records, `${new Date().toISOString().replace(/[:.]/g, '-')}-${kind}.json`), JSON.stringify(value, null, 2))
}

/**
 * What a plan needs to know of a snapshot file, for callers without the service (the command line):
 * verify first (throws the specific BboltError), then one pass of the key index.
 */
export async function readSnapshotFacts(file: string): Promise<SnapshotFacts> {
  const abs = path.resolve(file)
  const v = verifySnapshot(abs)
  const index = await SnapshotIndex.build(abs)
  try {
    let kubernetes = false
    for (let i = lowerBound(index.keys, '/registry/'); i < index.keys.length && index.keys[i]!.startsWith('/registry/'); i++)
      if (index.visibleAt(i, index.headRevision)) {
        kubernetes = true
        break
      }
    return {
      path: abs,
      fileName: path.basename(abs),
      sha256: await sha256File(abs),
      bytes: (await stat(abs)).size,
      revision: Number(v.status.revision),
      totalKey: v.status.totalKey,
      liveKeys: index.liveKeys,
      kubernetes,
    }
  } finally {
    index.close()
  }
}
