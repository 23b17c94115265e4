// Proves that the lint configuration enforces the dependency direction of GUIDE.md §2: each fixture
// breaks (or, for the controls, keeps) one rule, and ESLint must report exactly that.
import { describe, expect, it } from 'vitest'
import { ESLint } from 'eslint'
import path from 'node:path'
import { repoRoot } from '../support/raftdeck'

const fixtures = path.join(repoRoot, 'test/fixtures/lint')

async function restrictedImportMessages(rel: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot, ignore: false })
  const [result] = await eslint.lintFiles([path.join(fixtures, rel)])
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('lint boundaries', () => {
  it.each([
    ['src-renderer/src/importsNode.ts', /no Node built-ins/],
    ['src-renderer/src/importsGrpc.ts', /gRPC and sockets belong to the services/],
    ['src-renderer/src/importsServices.ts', /only src-main\/shared/],
    ['src-renderer/src/importsElectron.ts', /may import 'electron'/],
    ['src-main/services/importsElectron.ts', /may import 'electron'/],
    ['src-main/raft/importsTimers.ts', /deterministic/],
    ['src-main/shared/importsServices.ts', /imports nothing outside itself/],
  ])('%s is rejected', async (file, expected) => {
    const messages = await restrictedImportMessages(file)
    expect(messages.length).toBeGreaterThan(0)
    expect(messages.join('\n')).toMatch(expected)
  })

  it.each(['src-renderer/src/importsShared.ts', 'src-main/electron/importsElectron.ts'])('%s is allowed', async (file) => {
    expect(await restrictedImportMessages(file)).toEqual([])
  })
})
