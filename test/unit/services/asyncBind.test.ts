/**
 * The lean AsyncResource#bind the etcd client installs (src-main/services/etcd/asyncBind.ts): bound
 * functions behave as Node's do, and an HTTP/2 client's requests stop outliving minor collections.
 * The second part runs real clients in child processes with V8's GC trace and compares the bytes
 * promoted per request with Node's own bind and with the lean one, so a Node upgrade or a change to
 * the fix that brings the promotion back fails here.
 */
import { spawn } from 'node:child_process'
import { AsyncResource, executionAsyncId } from 'node:async_hooks'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bindAddsDeprecatedAccessor, installLeanAsyncBind } from '../../../src-main/services/etcd/asyncBind'

const repoRoot = path.resolve(__dirname, '../../..')
const fixModule = path.join(repoRoot, 'src-main/services/etcd/asyncBind.ts')

describe('the lean AsyncResource#bind', () => {
  it('runs the function in the resource’s async scope with the same this, arguments, result and length', () => {
    // (Another test file in this process may have installed it already, through the etcd client.)
    installLeanAsyncBind()
    expect(bindAddsDeprecatedAccessor()).toBe(false)

    const resource = new AsyncResource('raftdeck.test')
    const seen: Array<{ self: unknown; args: unknown[]; id: number }> = []
    function record(this: unknown, a: number, b: number): number {
      seen.push({ self: this, args: [a, b], id: executionAsyncId() })
      return a + b
    }
    const bound = resource.bind(record)
    const receiver = { bound }
    expect(receiver.bound(2, 3)).toBe(5)
    expect(seen[0]).toEqual({ self: receiver, args: [2, 3], id: resource.asyncId() })
    expect(bound.length).toBe(2)
    expect((bound as unknown as { asyncResource: unknown }).asyncResource).toBe(resource)

    const self = { name: 'fixed' }
    // Node's types omit bind's second argument, which Node has.
    const bindTo = resource.bind as unknown as (this: AsyncResource, fn: typeof record, thisArg: unknown) => typeof record
    const boundToSelf = bindTo.call(resource, record, self)
    boundToSelf.call({ other: true }, 1, 1)
    expect(seen[1]).toEqual({ self, args: [1, 1], id: resource.asyncId() })

    const err = new Error('from fn')
    expect(() =>
      resource.bind(() => {
        throw err
      })(),
    ).toThrow(err)
    expect(() => resource.bind(42 as unknown as () => void)).toThrow(TypeError)
    expect(AsyncResource.bind((x: number) => x * 2)(21)).toBe(42)
  })
})

describe('an HTTP/2 client on this Node', () => {
  let server: http2.Http2Server
  let url = ''
  let dir = ''
  beforeAll(async () => {
    server = http2.createServer()
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/octet-stream' })
      stream.end(Buffer.alloc(64))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-asyncbind-'))
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  })

  /** Whether a process of this Node that has not installed the fix has the deprecated accessor. */
  async function freshNodeAddsAccessor(): Promise<boolean> {
    const probe = `const { AsyncResource } = require('node:async_hooks'); const b = new AsyncResource('p').bind(() => {}); console.log(typeof Object.getOwnPropertyDescriptor(b, 'asyncResource')?.get)`
    const child = spawn(process.execPath, ['-e', probe], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    await new Promise((resolve) => child.on('close', resolve))
    return out.trim() === 'function'
  }

  /**
   * Bytes promoted to the old generation per request, over `requests` sequential requests made after
   * as many again to warm up (start-up promotes megabytes of its own: modules, compiled code).
   */
  async function promotedPerRequest(lean: boolean, requests: number): Promise<number> {
    const script = path.join(dir, `client-${lean ? 'lean' : 'node'}.mjs`)
    writeFileSync(
      script,
      [
        `import http2 from 'node:http2'`,
        lean ? `const { installLeanAsyncBind } = await import(${JSON.stringify(fixModule)}); if (!installLeanAsyncBind()) throw new Error('not installed')` : '',
        `const session = http2.connect(${JSON.stringify(url)})`,
        `const one = () => new Promise((resolve, reject) => {`,
        `  const req = session.request({ ':method': 'POST', ':path': '/x' })`,
        `  req.on('data', () => {}); req.on('end', resolve); req.on('error', reject); req.end(Buffer.alloc(32))`,
        `})`,
        `for (let i = 0; i < ${requests}; i++) await one()`,
        `console.log('measuring')`,
        `for (let i = 0; i < ${requests}; i++) await one()`,
        `session.close()`,
        `console.log('requests ${requests}')`,
      ].join('\n'),
    )
    // A small young generation, so a few thousand requests see many minor collections.
    const child = spawn(process.execPath, ['--import', 'tsx', '--trace-gc-nvp', '--max-semi-space-size=1', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let errOut = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (errOut += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, errOut).toBe(0)
    expect(out).toContain(`requests ${requests}`)
    let promoted = 0
    let scavenges = 0
    let measuring = false
    for (const line of out.split('\n')) {
      if (line === 'measuring') measuring = true
      if (!measuring || !/\bgc=s\b/.test(line)) continue
      scavenges++
      promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0)
    }
    expect(scavenges).toBeGreaterThan(5)
    return promoted / requests
  }

  it('keeps its requests out of the old generation with the lean bind', async () => {
    const lean = await promotedPerRequest(true, 3000)
    expect(lean).toBeLessThan(300)
    // Node's own bind, where it still adds the deprecated accessor: every request promoted (3.3 KB
    // each here when this was written, against 5 B with the lean bind), which is what the fix is for.
    if (await freshNodeAddsAccessor()) {
      const node = await promotedPerRequest(false, 3000)
      expect(node).toBeGreaterThan(1000)
    }
  }, 60_000)
})
