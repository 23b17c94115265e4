// The small part of hpack.js (HPACK for HTTP/2, RFC 7541) that the authority shim uses.
declare module 'hpack.js' {
  import type { Duplex } from 'node:stream'
  interface Header {
    name: string
    value: string
    neverIndex?: boolean
    huffman?: boolean
    incremental?: boolean
  }
  interface Decompressor extends Duplex {
    execute(cb?: (err: Error | null) => void): void
    read(): Header | null
  }
  interface Compressor extends Duplex {
    read(): Buffer | null
  }
  const hpack: {
    decompressor: { create(options: { table: { size: number } }): Decompressor }
    compressor: { create(options: { table: { size: number } }): Compressor }
  }
  export default hpack
}
