// Key names survive the trip through the UI: bytes → display form → typed text → the same bytes, for
// valid UTF-8, control characters, backslashes and bytes that are not UTF-8; range ends for prefixes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { displayBytes, parseTyped, prefixEnd, prefixRange } from '../../../src-main/services/keys/keyBytes'
import { keyNameOf, typedToBytes } from '../../../src-renderer/src/stores/keys.shared'

describe('key display forms', () => {
  it('escapes invalid bytes, control characters and backslashes, and nothing else', () => {
    expect(displayBytes(Buffer.from('/registry/pods/ns/web-1'))).toEqual({ text: '/registry/pods/ns/web-1', utf8: true })
    expect(displayBytes(Buffer.from('/é/日本/🙂'))).toEqual({ text: '/é/日本/🙂', utf8: true })
    expect(displayBytes(Buffer.from([0x2f, 0xff, 0xfe, 0x01]))).toEqual({ text: '/\\xff\\xfe\\x01', utf8: false })
    expect(displayBytes(Buffer.from([0xc3, 0x28]))).toEqual({ text: '\\xc3(', utf8: false })
    expect(displayBytes(Buffer.from('a\\b\n'))).toEqual({ text: 'a\\\\b\\x0a', utf8: true })
  })

  it('round-trips any bytes through the display form, on both sides of the API', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const shown = displayBytes(bytes).text
        expect(parseTyped(shown).equals(Buffer.from(bytes))).toBe(true)
        // The renderer builds the same display form and parses it back the same way.
        expect(keyNameOf(bytes).display).toBe(shown)
        expect(Buffer.from(typedToBytes(shown)).equals(Buffer.from(bytes))).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('prefix ranges', () => {
  it('ends a prefix at the next key after all keys that start with it', () => {
    expect(prefixEnd(Buffer.from('/a/'))).toEqual(Buffer.from('/a0'))
    expect(prefixEnd(Buffer.from([0x61, 0xff, 0xff]))).toEqual(Buffer.from([0x62]))
    expect(prefixEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]))
    expect(prefixRange(Buffer.alloc(0))).toEqual({ key: Buffer.from([0]), range_end: Buffer.from([0]) })
  })
})
