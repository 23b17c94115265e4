import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { describe, expect, it } from 'vitest'
import { pickFreePorts } from '../../../src-main/services/playground/ports'

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
}

describe('pickFreePorts', () => {
  it('picks distinct ports below the range outgoing connections take, each one free to bind', async () => {
    const ports = await pickFreePorts(12)
    expect(new Set(ports).size).toBe(12)
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(10_000)
      expect(p).toBeLessThan(ephemeralLow)
    }
    const servers = await Promise.all(ports.map(listen))
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  })

  it('never picks a port it is told to avoid, nor one that is taken', async () => {
    // A narrow range, so every port in it is tried: 30 ports, 10 taken, 10 to avoid.
    const base = (await pickFreePorts(1))[0]! - 100
    const range: [number, number] = [base, base + 30]
    const all = Array.from({ length: 30 }, (_, i) => base + i)
    const held: Server[] = []
    for (const p of all.slice(0, 10)) held.push(await listen(p).catch(() => createServer()))
    try {
      const got = await pickFreePorts(10, '127.0.0.1', new Set(all.slice(10, 20)), range)
      expect([...got].sort((a, b) => a - b)).toEqual(all.slice(20).filter((p) => got.includes(p)))
      for (const p of got) expect(all.slice(0, 20)).not.toContain(p)
      await expect(pickFreePorts(11, '127.0.0.1', new Set(all.slice(10, 20)), range)).rejects.toThrow(/found only \d+ of 11 free ports/)
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(() => r(undefined)))))
    }
  })
})
