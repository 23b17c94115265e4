/**
 * Raised alarms, per member (etcd's alarm store). The state machine layers its appliers by what is
 * raised here (see apply/chain.ts), so every change bumps `revision` and the chain is rebuilt.
 */
export type AlarmName = 'NOSPACE' | 'CORRUPT'

/**
 * What may be raised: etcd stores any alarm type an Alarm request names, NONE and types it does
 * not know included (they change nothing but are listed); only NOSPACE and CORRUPT have effects.
 */
export type AlarmType = AlarmName | 'NONE' | number

export interface AlarmMember {
  memberID: string
  alarm: AlarmType
}

export class AlarmStore {
  /** `${memberID}/${alarm}` for every raised alarm. */
  private readonly raised = new Set<string>()
  /** Bumped on every change. */
  revision = 0

  has(name: AlarmName): boolean {
    for (const a of this.raised) if (a.endsWith(`/${name}`)) return true
    return false
  }

  list(): AlarmMember[] {
    return [...this.raised].sort().map((a) => {
      const [memberID, alarm] = a.split('/') as [string, string]
      return { memberID, alarm: /^-?\d+$/.test(alarm) ? Number(alarm) : (alarm as AlarmType) }
    })
  }

  /** Returns false when the alarm was raised already. */
  activate(memberID: string, alarm: AlarmType): boolean {
    const key = `${memberID}/${alarm}`
    if (this.raised.has(key)) return false
    this.raised.add(key)
    this.revision++
    return true
  }

  deactivate(memberID: string, alarm: AlarmType): boolean {
    if (!this.raised.delete(`${memberID}/${alarm}`)) return false
    this.revision++
    return true
  }

  toJSON(): string[] {
    return [...this.raised]
  }

  restore(alarms: readonly string[]): void {
    this.raised.clear()
    for (const a of alarms) this.raised.add(a)
    this.revision++
  }
}
