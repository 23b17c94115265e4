/**
 * etcd's publish: once a leader is known, a member records its name and client URLs through the
 * log, so MemberList shows them on every member. Tried again until it lands or the member stops.
 */
import type { MemberAttributes } from './pb'
import type { ProposalBody } from './proposer'

export interface PublishHost {
  propose(body: ProposalBody): Promise<unknown>
  /** Resolves true once some member leads, false after `timeoutMs`. */
  untilLeaderKnown(timeoutMs: number): Promise<boolean>
  stopped(): boolean
  log(line: string): void
}

export async function publishAttributes(host: PublishHost, attributes: MemberAttributes, timeoutMs: number): Promise<void> {
  while (!host.stopped()) {
    if (!(await host.untilLeaderKnown(timeoutMs)) || host.stopped()) continue
    try {
      await host.propose({ member_attributes: attributes })
      return
    } catch (err) {
      if (!host.stopped()) host.log(`publishing member attributes failed, trying again: ${(err as Error).message}`)
    }
  }
}
