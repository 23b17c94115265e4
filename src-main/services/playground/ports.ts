import { readFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'

/**
 * Linux hands out ports in ip_local_port_range (32768–60999 by default) to outgoing connections and
 * to bind(0). A port picked by binding 0 and releasing it can therefore be taken by any process's
 * next outgoing connection before the member binds it, and a playground keeps its ports across
 * restarts. Ports are picked below that range instead, at random, each checked by binding it.
 */
const FALLBACK_RANGE: [number, number] = [32768, 60999]
const LOWEST = 10000

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo! > 0 && hi! >= lo!) return [lo!, hi!]
  } catch {
    // not Linux: the usual range
  }
  return FALLBACK_RANGE
}

function bind(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(undefined))
    s.listen(port, host, () => resolve(s))
  })
}

/**
 * Picks `n` distinct free loopback ports outside the ephemeral range (binding port 0 where that
 * leaves too little room). Each is held until all are found, then released; someone else may still
 * bind one in between (another tool picking at random below 32768), and the member then refuses to
 * start with a clear "address already in use", which the supervisor reports.
 */
export async function pickFreePorts(
  n: number,
  host = '127.0.0.1',
  avoid: ReadonlySet<number> = new Set(),
  /** Where to pick, [from, to): below the ephemeral range unless given. */
  range?: [number, number],
): Promise<number[]> {
  const [from, to] = range ?? [LOWEST, Math.min(ephemeralRange()[0], 65536)]
  // Too little room below the ephemeral range (an odd ip_local_port_range): let the OS choose.
  const osChooses = !range && to - from < 1000
  const held: Server[] = []
  const ports: number[] = []
  try {
    for (let tries = 0; ports.length < n && tries < 200 * n; tries++) {
      const port = osChooses ? 0 : from + Math.floor(Math.random() * (to - from))
      if (port !== 0 && (ports.includes(port) || avoid.has(port))) continue
      const s = await bind(port, host)
      if (!s) continue
      held.push(s)
      ports.push((s.address() as AddressInfo).port)
    }
    if (ports.length < n) throw new Error(`found only ${ports.length} of ${n} free ports on ${host}`)
    return ports
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))))
  }
}

/** Whether a TCP port on loopback is free right now. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}
