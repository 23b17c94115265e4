import { pickFreePorts } from '../../src-main/services/playground/ports'

/** Ports this test process has handed out: a later pick never repeats one still in use. */
const handedOut = new Set<number>()

/**
 * `n` distinct free loopback ports below the ephemeral range (see pickFreePorts: a port from
 * bind(0) can be taken by any outgoing connection before the test's server binds it, which made
 * members fail with "address already in use" now and then).
 */
export async function freePorts(n: number): Promise<number[]> {
  const ports = await pickFreePorts(n, '127.0.0.1', handedOut)
  for (const p of ports) handedOut.add(p)
  return ports
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!
}
