// The golden transcripts (testdata/*.txt, see testdata/README.md): each replays a script of Raft
// inputs and must print exactly what the file holds: every Ready, every message, every role change.
// After an intended change of behaviour, `npm run golden -- --rewrite` and review the diff.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { transcripts } from './golden/cli'
import { replayFile } from './golden/datadriven'

describe('Raft golden transcripts', () => {
  for (const file of transcripts()) {
    it(path.basename(file), () => {
      const { expected, actual } = replayFile(file)
      expect(actual, `${path.basename(file)} changed; if intended: npm run golden -- --rewrite ${path.relative(process.cwd(), file)}`).toBe(expected)
    })
  }
})
