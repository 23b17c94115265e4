/** Raw HTTP/2 bytes for tests that speak to a server frame by frame. */
import hpack from 'hpack.js'

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

export function h2frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9)
  h.writeUIntBE(payload.length, 0, 3)
  h[3] = type
  h[4] = flags
  h.writeUInt32BE(streamId, 5)
  return Buffer.concat([h, payload])
}

/** One header block, HPACK-encoded with a fresh table. */
export function hpackBlock(headers: Array<{ name: string; value: string }>): Buffer {
  const c = hpack.compressor.create({ table: { size: 4096 } })
  c.write(headers)
  const parts: Buffer[] = []
  for (let b = c.read(); b; b = c.read()) parts.push(b)
  return Buffer.concat(parts)
}
