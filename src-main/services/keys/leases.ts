// Leases with their remaining TTL and the keys attached to them (etcdctl lease list + timetolive --keys).

import type { LeaseInfo } from '../../shared/api/keys'
import { EtcdError } from '../etcd/client'
import type { KvReader } from '../targets'
import { keyName } from './keyBytes'

/** Keys listed per lease; a lease with more says so through the count in the UI later. */
const KEYS_PER_LEASE = 200

export async function listLeases(client: KvReader): Promise<LeaseInfo[]> {
  const { leases } = await client.leaseLeases()
  const infos = await Promise.all(
    leases.map(async ({ ID }): Promise<LeaseInfo | null> => {
      try {
        const t = await client.leaseTimeToLive(ID, true)
        return { id: ID, ttl: Number(t.TTL), grantedTtl: Number(t.grantedTTL), keys: t.keys.slice(0, KEYS_PER_LEASE).map(keyName) }
      } catch (err) {
        // Expired between the list and the lookup: not worth an error.
        if (err instanceof EtcdError && err.kind === 'lease-not-found') return null
        throw err
      }
    }),
  )
  return infos.filter((l): l is LeaseInfo => l !== null && l.ttl !== -1).sort((a, b) => a.ttl - b.ttl)
}
