import { createServer } from 'node:net'

/**
 * Reserves `n` distinct free loopback ports. The listeners are closed before returning, so a tiny
 * window remains in which another process could take a port; callers that start servers on them
 * should treat "address in use" as a reason to retry with new ports.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<import('node:net').Server>((resolve, reject) => {
        const s = createServer()
        s.once('error', reject)
        s.listen(0, '127.0.0.1', () => resolve(s))
      }),
    ),
  )
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}
