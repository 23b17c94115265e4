/**
 * Stacks the apply layers as etcd does, outermost first:
 *
 *   corrupt (CORRUPT raised) → capped (NOSPACE raised) → auth revision → quota → backend
 *
 * The state machine rebuilds the chain whenever the raised alarms change, so raising an alarm
 * changes what the very next entry may do, on every member alike.
 */
import type { AlarmStore } from '../alarms'
import type { Applier } from './applier'
import { AuthApplier } from './authRevision'
import { BackendApplier, type BackendState } from './backend'
import { CappedApplier } from './capped'
import { CorruptApplier } from './corrupt'
import { QuotaApplier, type Quota } from './quota'

export function buildApplier(state: BackendState, quota: Quota, alarms: AlarmStore): Applier {
  let a: Applier = new BackendApplier(state)
  a = new QuotaApplier(a, quota)
  a = new AuthApplier(a, state.auth, state.lessor, state.store)
  if (alarms.has('NOSPACE')) a = new CappedApplier(a)
  if (alarms.has('CORRUPT')) a = new CorruptApplier(a)
  return a
}
