import { createServer, type AddressInfo, type Server } from 'node:net'

/**
 * Picks `n` distinct free loopback ports by binding port 0 and releasing it. A port can still be taken
 * by someone else before the member binds it; the member then refuses to start with a clear
 * "address already in use", and the supervisor reports it.
 */
export async function pickFreePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer()
          s.once('error', reject)
          s.listen(0, host, () => resolve(s))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** Whether a TCP port on loopback is free right now. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}
