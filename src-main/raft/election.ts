// Election timing: the randomized timeout that breaks split votes, and the
// lease that makes a follower ignore disruptive vote requests.

import type { RandomSource } from './random'

/** A timeout drawn uniformly from [electionTick, 2·electionTick). */
export function randomizedElectionTimeout(electionTick: number, random: RandomSource): number {
  return electionTick + Math.floor(random() * electionTick)
}

/**
 * With CheckQuorum, a node that heard from a live leader less than an
 * election timeout ago refuses to help depose it (thesis §4.2.3), unless the
 * leader itself asked for the election (leader transfer).
 */
export function inLeaderLease(checkQuorum: boolean, hasLeader: boolean, electionElapsed: number, electionTick: number): boolean {
  return checkQuorum && hasLeader && electionElapsed < electionTick
}

/** Marks a campaign started by MsgTimeoutNow so voters bypass their lease. */
export const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer')

export function isTransferCampaign(ctx: Uint8Array | null): boolean {
  if (ctx === null || ctx.length !== CAMPAIGN_TRANSFER.length) return false
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== CAMPAIGN_TRANSFER[i]) return false
  return true
}
