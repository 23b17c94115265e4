/**
 * Key permissions as etcd checks them (auth/range_perm_cache.go): a user's permissions from all of
 * their roles are merged into one set of READ intervals and one of WRITE intervals, and a request
 * for [key, end) is allowed when the union covers it, even if no single permission does (a role
 * granting [a, c) and another granting [c, e) together allow [a, e)).
 *
 * Keys are latin1 strings (one char per byte). etcd compares with "affine" strings, where the empty
 * string stands for +infinity; that rule is kept, edge cases included.
 */

export interface KeyInterval {
  begin: string
  /** '' = +infinity. */
  end: string
}

/** etcd's StringAffineComparable: '' is greater than everything but itself. */
export function affineCompare(a: string, b: string): number {
  if (a === '') return b === '' ? 0 : 1
  if (b === '') return -1
  return a < b ? -1 : a > b ? 1 : 0
}

/** etcd's Interval.Compare: 0 when the two overlap. */
function overlaps(ivl: KeyInterval, x: KeyInterval): boolean {
  if (affineCompare(ivl.begin, x.begin) < 0 && affineCompare(ivl.end, x.begin) <= 0) return false
  return affineCompare(ivl.begin, x.end) < 0
}

/** A permission's interval: an empty range end is one key, "\0" is every key from `key` on. */
export function permissionInterval(key: string, rangeEnd: string): KeyInterval {
  if (rangeEnd === '') return { begin: key, end: `${key}\u0000` }
  return { begin: key, end: rangeEnd === '\u0000' ? '' : rangeEnd }
}

export class IntervalSet {
  private readonly items: KeyInterval[] = []

  add(iv: KeyInterval): void {
    this.items.push(iv)
  }

  /** Some interval holds the key (etcd's checkKeyPoint). */
  hasKey(key: string): boolean {
    const point = { begin: key, end: `${key}\u0000` }
    return this.items.some((x) => overlaps(point, x))
  }

  /** The union covers [begin, end) without a gap (etcd's IntervalTree.Contains). */
  covers(ivl: KeyInterval): boolean {
    const hit = this.items.filter((x) => overlaps(ivl, x)).sort((a, b) => affineCompare(a.begin, b.begin))
    if (hit.length === 0) return false
    let minBegin = hit[0]!.begin
    let maxEnd = hit[0]!.end
    for (const x of hit.slice(1)) {
      if (affineCompare(maxEnd, x.begin) < 0) return false
      if (affineCompare(x.end, maxEnd) > 0) maxEnd = x.end
      if (affineCompare(x.begin, minBegin) < 0) minBegin = x.begin
    }
    return affineCompare(maxEnd, ivl.end) >= 0 && affineCompare(minBegin, ivl.begin) <= 0
  }
}

/** One user's merged permissions. */
export interface MergedPermissions {
  read: IntervalSet
  write: IntervalSet
}

export function mergePermissions(perms: Iterable<{ permType: string; key: string; rangeEnd: string }>): MergedPermissions {
  const merged = { read: new IntervalSet(), write: new IntervalSet() }
  for (const p of perms) {
    const iv = permissionInterval(p.key, p.rangeEnd)
    if (p.permType === 'READ' || p.permType === 'READWRITE') merged.read.add(iv)
    if (p.permType === 'WRITE' || p.permType === 'READWRITE') merged.write.add(iv)
  }
  return merged
}

/** Does the merged set allow `need` on [key, rangeEnd)? (etcd's isRangeOpPermitted) */
export function allows(merged: MergedPermissions, need: 'READ' | 'WRITE', key: string, rangeEnd: string): boolean {
  const set = need === 'READ' ? merged.read : merged.write
  if (rangeEnd === '') return set.hasKey(key)
  return set.covers({ begin: key, end: rangeEnd === '\u0000' ? '' : rangeEnd })
}
