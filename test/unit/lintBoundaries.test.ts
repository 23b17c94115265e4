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

async function rawTextFindings(rel: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot, ignore: false })
  const [result] = await eslint.lintFiles([path.join(fixtures, rel)])
  return result!.messages
    .filter((m) => m.ruleId === 'raftdeck/no-raw-ui-text' || m.ruleId === 'vue/no-bare-strings-in-template')
    .map((m) => `${m.line}:${m.ruleId}`)
}

describe('untranslated UI text', () => {
  it('is rejected in templates, attributes, template expressions, toasts, column titles and render functions', async () => {
    const found = await rawTextFindings('src-renderer/src/RawText.vue')
    // message.success('Key saved'), title: 'Member', () => 'Make leader', <p>No cluster selected</p>,
    // :title="'Copy…'", {{ ok ? 'Connected' : 'Disconnected' }} (two), placeholder="Filter keys".
    expect(found).toEqual(
      expect.arrayContaining([
        '8:raftdeck/no-raw-ui-text',
        '10:raftdeck/no-raw-ui-text',
        '15:vue/no-bare-strings-in-template',
        '16:raftdeck/no-raw-ui-text',
        '17:vue/no-bare-strings-in-template',
      ]),
    )
    expect(found.filter((f) => f === '10:raftdeck/no-raw-ui-text')).toHaveLength(2)
    expect(found.filter((f) => f === '16:raftdeck/no-raw-ui-text')).toHaveLength(3)
  })

  it('lets translated text, identifiers, test ids and symbols through', async () => {
    expect(await rawTextFindings('src-renderer/src/TranslatedText.vue')).toEqual([])
  })
})

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
