/**
 * Makes etcdctl output from two different clusters comparable: IDs become ID1, ID2… in order of
 * first appearance, endpoints become EP, and timings, sizes and client log noise go away.
 */
export function normalize(out: string): string {
  const ids = new Map<string, string>()
  const idFor = (raw: string): string => {
    let v = ids.get(raw)
    if (!v) ids.set(raw, (v = `ID${ids.size + 1}`))
    return v
  }
  return out
    .split('\n')
    .filter((l) => !l.startsWith('{"level":'))
    .join('\n')
    .replace(/127\.0\.0\.1:\d+/g, 'EP')
    .replace(/"(cluster_id|member_id|ID|leader|memberID)":(\d{6,})/g, (_m, k: string, v: string) => `"${k}":${idFor(BigInt(v).toString(16))}`)
    .replace(/"(ClusterID|MemberID|ID|Lease|Leader)" : (\d{6,})/g, (_m, k: string, v: string) => `"${k}" : ${idFor(BigInt(v).toString(16))}`)
    // etcdctl prints IDs with %16x: shorter IDs are space-padded.
    .replace(/(Member|Leadership transferred from|to) +(?=[0-9a-f])/g, '$1 ')
    .replace(/\b(?=[0-9a-f]*[a-f])[0-9a-f]{10,16}\b/g, (m) => idFor(m.replace(/^0+/, '')))
    .replace(/took = [^\s]+/g, 'took = T')
    .replace(/"took":"[^"]*"/g, '"took":"T"')
    .replace(/remaining\(\d+s\)/g, 'remaining(Ns)')
    .replace(/\d+(\.\d+)? (kB|MB|B)\b/g, 'SIZE')
    .replace(/"(dbSize|dbSizeInUse)":\d+/g, '"$1":SIZE')
    .replace(/ +\|/g, ' |')
    .replace(/-{3,}/g, '---')
    .replace(/\| +/g, '| ')
}
