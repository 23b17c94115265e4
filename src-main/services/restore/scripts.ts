// The plan rendered for the operator: one bash script per member (ordered steps that can also be run
// one at a time), a README with the order across members and what each service definition must keep
// or change, plan.json, and the same steps as copyable commands for the wizard. Everything here is a
// function of the plan; nothing is hand-kept.

import type { PlanFile, PlanMember, PlanStep, RenderedPlan, RestorePlan } from '../../shared/api/restore'
import { parseEtcdUrl, type ParsedUrl } from '../../shared/api/restoreRules'
import { formatMessage, msg, type Msg } from '../../shared/i18n/message'
import { bumpWhyMsg, decimalId, initialCluster, restoreArgv } from './plan'

/** Single-quotes a word for bash unless it is plainly safe. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** A restore argv as a shell line; the placeholders $SNAPSHOT and $TARGET stay variables. */
function shellLine(argv: string[]): string {
  return argv
    .map((a) => {
      if (a === '$SNAPSHOT') return '"$SNAPSHOT"'
      if (a.endsWith('=$TARGET')) return `${shq(a.slice(0, -'$TARGET'.length))}"$TARGET"`
      return shq(a)
    })
    .join(' \\\n    ')
}

const url = (u: string) => parseEtcdUrl(u) as ParsedUrl
export const scriptName = (m: Pick<PlanMember, 'name'>) => `restore-${m.name}.sh`
export const asideDir = (plan: RestorePlan, m: PlanMember) => `${m.dataDir}.pre-restore-${plan.stamp}`
const unitOf = (m: PlanMember) => (m.run.kind === 'systemd' ? m.run.unit : '')
const manifestOf = (m: PlanMember) => (m.run.kind === 'kubeadm' ? m.run.manifest : '')
/** Where a kubeadm member's static-pod manifests wait while etcd is stopped: beside the manifests dir, which kubelet watches. */
const holdDir = (plan: RestorePlan, m: PlanMember) => `${manifestOf(m).replace(/\/[^/]+\/[^/]+$/, '')}/restore-hold-${plan.stamp}`

/** What the member's service definition (unit or manifest) must keep or change after the restore, as catalog messages. */
export function serviceNoteMsgs(plan: RestorePlan, m: PlanMember): Msg[] {
  return [
    m.run.kind === 'systemd' ? msg('restore.service.inUnit', { unit: unitOf(m) }) : msg('restore.service.inManifest', { manifest: manifestOf(m) }),
    msg('restore.service.name', { name: m.name }),
    m.run.kind === 'kubeadm' ? msg('restore.service.dataDirKubeadm', { dir: m.dataDir }) : msg('restore.service.dataDir', { dir: m.dataDir }),
    msg('restore.service.walDir'),
    msg('restore.service.peer', { urls: m.peerURLs.join(',') }),
    msg('restore.service.client', { urls: m.clientURLs.join(',') }),
    msg('restore.service.token', { token: plan.token, cluster: initialCluster(plan) }),
    msg('restore.service.state'),
  ]
}

/** The same in English, for the README and the CLI. */
export function serviceNotes(plan: RestorePlan, m: PlanMember): string[] {
  return serviceNoteMsgs(plan, m).map(formatMessage)
}

/** A step with its title and why as catalog messages, and their English. */
function step(s: Omit<PlanStep, 'title' | 'why' | 'titleMsg' | 'whyMsg'>, title: Msg, why: Msg): PlanStep {
  return { step: s.step, key: s.key, title: formatMessage(title), why: formatMessage(why), titleMsg: title, whyMsg: why, commands: s.commands }
}

/** The steps of one member as copyable commands (the script runs exactly these, with checks around them). */
export function memberSteps(plan: RestorePlan, m: PlanMember): PlanStep[] {
  const client = url(m.clientURLs[0]!)
  const snap = `./${plan.restoreFile.fileName}`
  const steps: PlanStep[] = []
  const systemd = m.run.kind === 'systemd'
  const hold = m.run.kind === 'kubeadm' ? holdDir(plan, m) : ''
  const unit = unitOf(m)
  const manifest = manifestOf(m)
  const manifestDir = manifest.replace(/\/[^/]+$/, '')
  steps.push(
    step(
      {
        step: 1,
        key: 'stop',
        commands: systemd
          ? [`systemctl stop ${shq(unit)}`]
          : [`mkdir -p ${shq(hold)}`, `mv ${shq(`${manifestDir}/kube-apiserver.yaml`)} ${shq(hold)}/   # if this node runs an API server`, `mv ${shq(manifest)} ${shq(hold)}/`],
      },
      msg('restore.steps.stop'),
      msg('restore.steps.stopWhy'),
    ),
  )
  steps.push(step({ step: 2, key: 'aside', commands: [`mv ${shq(m.dataDir)} ${shq(asideDir(plan, m))}`] }, msg('restore.steps.aside'), msg('restore.steps.asideWhy')))
  const why = plan.bump ? bumpWhyMsg(plan.kubernetes) : null
  const bump = !plan.bump
    ? ''
    : plan.bump.mode === 'flags'
      ? msg('restore.steps.restoreBumpFlags', { revision: String(plan.bump.revision), why: why! })
      : msg('restore.steps.restoreBumpFile', { revision: String(plan.bump.revision), file: plan.restoreFile.fileName, why: why! })
  steps.push(
    step(
      { step: 3, key: 'restore', commands: [[m.family === '3.4' ? 'ETCDCTL_API=3' : '', ...restoreArgv(plan, m, snap, m.dataDir).map(shq)].filter(Boolean).join(' ')] },
      msg('restore.steps.restore', { tool: m.tool, name: m.name }),
      msg('restore.steps.restoreWhy', { id: m.id, cluster: plan.clusterId, bump }),
    ),
  )
  steps.push(
    step(
      {
        step: 4,
        key: 'own',
        commands: systemd
          ? [`chown -R "$(systemctl show -p User --value ${shq(unit)} | grep . || echo root):" ${shq(m.dataDir)}`, `chmod 700 ${shq(m.dataDir)}`]
          : [`chown -R root:root ${shq(m.dataDir)}`, `chmod 700 ${shq(m.dataDir)}`],
      },
      msg('restore.steps.own'),
      msg('restore.steps.ownWhy'),
    ),
  )
  steps.push(
    step(
      { step: 5, key: 'start', commands: systemd ? [`systemctl start --no-block ${shq(unit)}`] : [`mv ${shq(`${hold}/${manifest.replace(/^.*\//, '')}`)} ${shq(manifest)}`] },
      msg('restore.steps.start'),
      msg('restore.steps.startWhy'),
    ),
  )
  steps.push(
    step(
      { step: 6, key: 'check', commands: [`ETCDCTL_API=3 etcdctl --endpoints=${shq(`${client.scheme}://${client.host}:${client.port}`)} endpoint status -w table`] },
      msg('restore.steps.check'),
      msg('restore.steps.checkWhy', { id: m.id, cluster: plan.clusterId }),
    ),
  )
  if (m.run.kind === 'kubeadm')
    steps.push(
      step(
        { step: 7, key: 'apiserver', commands: [`mv ${shq(`${hold}/kube-apiserver.yaml`)} ${shq(`${manifestDir}/kube-apiserver.yaml`)}   # if it was moved in step 1`] },
        msg('restore.steps.apiserver'),
        msg('restore.steps.apiserverWhy'),
      ),
    )
  return steps
}

/** The bash script of one member. */
export function memberScript(plan: RestorePlan, m: PlanMember): string {
  const client = url(m.clientURLs[0]!)
  const others = plan.members.filter((x) => x !== m)
  const otherPeers = others.map((x) => `${x.name} ${url(x.peerURLs[0]!).host} ${url(x.peerURLs[0]!).port} ${x.clientURLs[0]!}`)
  const bumpFlags = plan.bump?.mode === 'flags'
  const argv = restoreArgv(plan, m, '$SNAPSHOT', '$TARGET')
  const systemd = m.run.kind === 'systemd'
  const hold = m.run.kind === 'kubeadm' ? holdDir(plan, m) : ''
  const index = plan.members.indexOf(m) + 1
  const L: string[] = []
  const add = (...lines: string[]) => L.push(...lines)

  add(
    '#!/usr/bin/env bash',
    `# Raftdeck restore plan ${plan.id}: member ${m.name} (${index} of ${plan.members.length}: ${plan.members.map((x) => x.name).join(', ')}).`,
    `# Generated ${new Date(plan.createdAt).toISOString()}. Every member's script comes from the same plan: do not edit the identity below.`,
    '#',
    `#   snapshot    ${plan.snapshot.fileName} (revision ${plan.snapshot.revision}, ${plan.snapshot.liveKeys} keys)`,
    `#   restore     ${plan.restoreFile.fileName} (sha256 ${plan.restoreFile.sha256})`,
    `#   cluster ID  ${plan.clusterId} (new)`,
    `#   member ID   ${m.id}`,
    `#   token       ${plan.token}`,
    `#   etcd        ${m.etcdVersion} (restore with ${m.tool})${plan.bump ? `, revision bump ${plan.bump.revision}${plan.bump.mode === 'file' ? ' (written into the restore file)' : ''}` : ''}`,
    '#',
    '# Run as root on this member, at the same time as the other members\' scripts (they wait for each other):',
    `#   sudo ./${scriptName(m)}            preflight, then steps 1-6`,
    `#   sudo ./${scriptName(m)} STEP       one step: preflight, 1|stop, 2|aside, 3|restore, 4|own, 5|start, 6|check${m.run.kind === 'kubeadm' ? ', 7|apiserver' : ''}`,
    '# Step 5 waits until no other member runs the old cluster; step 6 waits for the new cluster\'s leader.',
    '# Afterwards run `raftdeck restore verify` (README.md) before anything else uses the cluster.',
    'set -euo pipefail',
    '',
    `PLAN_ID=${shq(plan.id)}`,
    `NAME=${shq(m.name)}`,
    `MEMBER_ID=${m.id}`,
    `MEMBER_ID_DEC=${decimalId(m.id)}`,
    `CLUSTER_ID=${plan.clusterId}`,
    `CLUSTER_ID_DEC=${decimalId(plan.clusterId)}`,
    `DATA_DIR=${shq(m.dataDir)}`,
    `STAMP=${plan.stamp}`,
    'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    `SNAPSHOT="\${SNAPSHOT:-$HERE/${plan.restoreFile.fileName}}"`,
    `SNAPSHOT_SHA256=${plan.restoreFile.sha256}`,
    `CLIENT_URL=${shq(`${client.scheme}://${client.host.includes(':') ? `[${client.host}]` : client.host}:${client.port}`)}`,
    `CLIENT_HOST=${shq(client.host)}`,
    `CLIENT_PORT=${client.port}`,
    '# The other members: name, peer host and port, client URL.',
    `OTHER_MEMBERS=(${otherPeers.map((p) => shq(p)).join(' ')})`,
    systemd ? `UNIT=${shq(unitOf(m))}` : `MANIFEST=${shq(manifestOf(m))}`,
    ...(systemd ? [] : [`HOLD=${shq(hold)}`, 'APISERVER="$(dirname "$MANIFEST")/kube-apiserver.yaml"']),
    ...(m.run.kind === 'kubeadm'
      ? [
          '# etcdctl (steps 5 and 6) talks TLS with kubeadm\'s health-check client certificate unless told otherwise.',
          'export ETCDCTL_CACERT="${ETCDCTL_CACERT:-/etc/kubernetes/pki/etcd/ca.crt}"',
          'export ETCDCTL_CERT="${ETCDCTL_CERT:-/etc/kubernetes/pki/etcd/healthcheck-client.crt}"',
          'export ETCDCTL_KEY="${ETCDCTL_KEY:-/etc/kubernetes/pki/etcd/healthcheck-client.key}"',
        ]
      : client.scheme === 'https'
        ? ['# For the https checks of steps 5 and 6, export ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY before running this script.']
        : []),
    `WAIT_OTHERS_SECONDS="\${WAIT_OTHERS_SECONDS:-900}"`,
    `WAIT_LEADER_SECONDS="\${WAIT_LEADER_SECONDS:-300}"`,
    '',
    'say() { printf \'\\n[%s] %s\\n\' "$NAME" "$*"; }',
    'die() { printf \'\\n[%s] STOP: %s\\n\' "$NAME" "$*" >&2; exit 1; }',
    'port_open() { timeout 2 bash -c ": >/dev/tcp/$1/$2" 2>/dev/null; }',
    'etcd_here_answers() { port_open "$CLIENT_HOST" "$CLIENT_PORT"; }',
    '# Polls `$2...` every 2 s for up to $1 seconds.',
    'wait_for() { local secs=$1 t=0; shift; until "$@"; do [ "$t" -ge "$secs" ] && return 1; sleep 2; t=$((t + 2)); done; }',
    'not() { ! "$@"; }',
    '# The first "name":number of etcdctl\'s JSON on stdin (IDs are uint64: compared as text).',
    'json_number() { grep -o "\\"$1\\":[0-9]*" | head -1 | cut -d: -f2; }',
    'status_json() { ETCDCTL_API=3 etcdctl --endpoints="$CLIENT_URL" --command-timeout=5s endpoint status -w json 2>/dev/null; }',
    '',
  )

  // ---- service definition ----
  add('# The service definition as etcd will see it: the unit or manifest, plus environment files.')
  if (systemd)
    add(
      'service_definition() {',
      '  systemctl cat "$UNIT" 2>/dev/null || true',
      '  local f',
      '  for f in $(systemctl show -p EnvironmentFiles --value "$UNIT" 2>/dev/null | grep -o \'/[^ ]*\' || true); do cat "$f" 2>/dev/null || true; done',
      '}',
    )
  else add('service_definition() { cat "$MANIFEST" "$HOLD/$(basename "$MANIFEST")" 2>/dev/null || true; }')
  add(
    '# Values of --flag=V / --flag V / ETCD_FLAG=V in the definition (comments ignored).',
    'definition_value() {',
    '  service_definition | sed \'s/#.*//\' | grep -oE -- "(--$1[= ]+|ETCD_$2=)[\\"\']?[^\\"\' ]+" | sed -E "s/^(--$1[= ]+|ETCD_$2=)[\\"\']?//" | sort -u || true',
    '}',
    '',
    'preflight() {',
    '  say "Preflight: nothing is changed until every check here passes."',
    '  local parent; parent="$(dirname "$DATA_DIR")"',
    '  [ -w "$parent" ] || die "Cannot write $parent: run as root (sudo $0)."',
    `  command -v ${m.tool} >/dev/null || die "${m.tool} is not installed here: install the ${m.tool} of etcd ${m.family} (the same version as this member's etcd) and run again."`,
  )
  if (bumpFlags)
    add(
      `  (${m.tool} snapshot restore --help 2>&1 || true) | grep -q -- --bump-revision \\`,
      `    || die "This ${m.tool} has no --bump-revision (it came with etcdctl 3.4.27 and etcdutl 3.5.10). Make the plan again with this member's exact etcd version (--etcd-version ${m.family}.N): Raftdeck then writes the bump into the snapshot instead."`,
    )
  if (m.family === '3.6' || m.tool === 'etcdutl')
    add(`  # etcd 3.6 removed "etcdctl snapshot restore"; etcdutl is the restore tool from 3.5 on.`)
  add(
    `  [ -f "$SNAPSHOT" ] || die "No snapshot at $SNAPSHOT: copy ${plan.restoreFile.fileName} next to this script, or run with SNAPSHOT=/path/to/${plan.restoreFile.fileName}."`,
    '  local sum; sum="$(sha256sum "$SNAPSHOT" | cut -d" " -f1)"',
    '  [ "$sum" = "$SNAPSHOT_SHA256" ] || die "$SNAPSHOT has SHA-256 $sum, the plan expects $SNAPSHOT_SHA256: this is not the file the plan was made for (or it was damaged while copied)."',
  )
  if (systemd) add('  systemctl cat "$UNIT" >/dev/null 2>&1 || die "There is no systemd unit $UNIT here: check the plan\'s unit name for $NAME."')
  else add('  [ -f "$MANIFEST" ] || [ -f "$HOLD/$(basename "$MANIFEST")" ] || die "There is no manifest at $MANIFEST (nor in $HOLD)."')
  add(
    '  local v',
    '  v="$(definition_value wal-dir WAL_DIR)"',
    '  [ -z "$v" ] || die "The service sets a separate WAL dir ($v): an old WAL there would bring back the old member identity. Remove --wal-dir from the service (the restored WAL is inside the data dir), then run again."',
    '  v="$(definition_value data-dir DATA_DIR)"',
    '  if [ -z "$v" ]; then say "note: could not find --data-dir in the service definition; make sure etcd runs with --data-dir=$DATA_DIR."',
    '  elif [ "$v" != "$DATA_DIR" ]; then die "The service runs etcd with --data-dir=$v but the plan restores into $DATA_DIR: make the plan with $v as this member\'s data dir, or change the service first."; fi',
    '  v="$(definition_value name NAME)"',
    '  if [ -n "$v" ] && [ "$v" != "$NAME" ]; then die "The service starts etcd as --name=$v but the plan restores it as $NAME: the member list would name it $v. Make the plan with the name $v, or change the service."; fi',
    '  if etcd_here_answers && command -v etcdctl >/dev/null; then',
    '    # Step 5 asks the other members which cluster they run: that only means something if etcdctl can ask.',
    '    status_json >/dev/null || die "etcdctl cannot talk to this member at $CLIENT_URL (for https: export ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY with a client certificate of this cluster), so step 5 could not check the other members."',
    '  fi',
    '  say "Preflight passed: $SNAPSHOT matches the plan; ' + `${m.tool}` + ' and the service definition are ready."',
    '}',
    '',
  )

  // ---- step 1 ----
  add('step_stop() {', '  say "1. Stop etcd here: every member must be stopped before any data dir is replaced."')
  if (systemd) add('  systemctl stop "$UNIT"')
  else
    add(
      '  mkdir -p "$HOLD"',
      '  if [ -f "$APISERVER" ]; then mv "$APISERVER" "$HOLD/"; say "moved $(basename "$APISERVER") to $HOLD (the API server stays down until step 7)"; fi',
      '  if [ -f "$MANIFEST" ]; then mv "$MANIFEST" "$HOLD/"; fi',
    )
  add('  wait_for 120 not etcd_here_answers || die "etcd still answers on $CLIENT_HOST:$CLIENT_PORT two minutes after the stop: find out what runs there before going on."', '  say "stopped."', '}', '')

  // ---- step 2 ----
  add(
    'step_aside() {',
    '  say "2. Move the old data dir aside (it is never deleted: it is the way back)."',
    '  etcd_here_answers && die "etcd still answers on $CLIENT_HOST:$CLIENT_PORT: run step 1 first."',
    '  if mountpoint -q "$DATA_DIR" 2>/dev/null; then',
    '    # A mounted data dir cannot be renamed: its contents move into a folder inside it.',
    '    ASIDE="$DATA_DIR/pre-restore-$STAMP"',
    '    if [ -d "$ASIDE" ]; then say "already moved aside to $ASIDE."; return 0; fi',
    '    mkdir "$ASIDE"',
    '    find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name "pre-restore-$STAMP" -exec mv -t "$ASIDE" {} +',
    '  else',
    '    ASIDE="$DATA_DIR.pre-restore-$STAMP"',
    '    if [ -e "$ASIDE" ] && [ ! -e "$DATA_DIR" ]; then say "already moved aside to $ASIDE."; return 0; fi',
    '    [ -e "$ASIDE" ] && die "Both $DATA_DIR and $ASIDE exist: a restore may have run already. Look at both before going on."',
    '    if [ -e "$DATA_DIR" ]; then mv "$DATA_DIR" "$ASIDE"; else say "$DATA_DIR does not exist: nothing to move."; return 0; fi',
    '  fi',
    '  say "moved to $ASIDE."',
    '}',
    '',
  )

  // ---- step 3 ----
  add(
    'step_restore() {',
    `  say "3. Restore $SNAPSHOT as $NAME: member $MEMBER_ID of the new cluster $CLUSTER_ID."`,
    '  local TARGET="$DATA_DIR"',
    '  if mountpoint -q "$DATA_DIR" 2>/dev/null; then',
    '    [ -z "$(ls -A "$DATA_DIR" | grep -v "^pre-restore-")" ] || die "$DATA_DIR still holds files besides pre-restore-*: run step 2 first."',
    '    TARGET="$DATA_DIR/restore-$STAMP.tmp"',
    '  fi',
    '  [ -e "$TARGET" ] && die "$TARGET exists: the restore needs a new directory (run step 2 first)."',
  )
  if (m.family === '3.4') add('  export ETCDCTL_API=3')
  add(`  ${shellLine(argv)}`)
  add(
    '  if [ "$TARGET" != "$DATA_DIR" ]; then mv "$TARGET/member" "$DATA_DIR/member" && rmdir "$TARGET"; fi',
    '  say "restored into $DATA_DIR."',
    '}',
    '',
  )

  // ---- step 4 ----
  add('step_own() {', '  say "4. Ownership and permissions."')
  if (systemd) add('  local owner; owner="$(systemctl show -p User --value "$UNIT" 2>/dev/null || true)"', '  owner="${owner:-root}"')
  else add('  local owner=root')
  add('  chown -R "$owner:" "$DATA_DIR/member"', '  chown "$owner:" "$DATA_DIR"', '  chmod 700 "$DATA_DIR"', '  say "owned by $owner, mode 700."', '}', '')

  // ---- step 5 ----
  add(
    '# Another member still runs the old cluster when its etcd answers with another cluster ID than the plan\'s.',
    '# Stopped (peer port closed), restored and waiting for a majority (no answer yet), or restored: ready.',
    'cluster_id_at() { ETCDCTL_API=3 etcdctl --endpoints="$1" --command-timeout=3s endpoint status -w json 2>/dev/null | json_number cluster_id || true; }',
    'others_ready() {',
    '  local p n h port url cid',
    '  for p in "${OTHER_MEMBERS[@]}"; do',
    '    read -r n h port url <<<"$p"',
    '    port_open "$h" "$port" || continue',
    '    command -v etcdctl >/dev/null || { [ "${_warned:-}" ] || say "etcdctl is not installed: cannot tell whether $n runs the old cluster. Make sure step 1 ran on every member."; _warned=1; continue; }',
    '    cid="$(cluster_id_at "$url")"',
    '    if [ -z "$cid" ] || [ "$cid" = "$CLUSTER_ID_DEC" ]; then continue; fi',
    '    if [ "${_waiting_for:-}" != "$n" ]; then',
    '      say "waiting for $n ($h:$port): etcd there still runs the old cluster. Run restore-$n.sh there (step 1 stops it)."',
    '      _waiting_for=$n',
    '    fi',
    '    return 1',
    '  done',
    '}',
    '',
  )
  add(
    'step_start() {',
    '  say "5. Start etcd, once no other member runs the old cluster (the members then elect a leader as soon as a majority is up)."',
    '  if [ "${SKIP_PEER_CHECK:-0}" != 1 ]; then',
    '    wait_for "$WAIT_OTHERS_SECONDS" others_ready || die "The old cluster still runs on another member (see above): stop it there first, then run step 5 again. (If this host cannot reach the other members and you checked by hand, run with SKIP_PEER_CHECK=1.)"',
    '  fi',
  )
  if (systemd) add('  systemctl start --no-block "$UNIT"')
  else add('  [ -f "$MANIFEST" ] || mv "$HOLD/$(basename "$MANIFEST")" "$MANIFEST"')
  add('  wait_for 120 etcd_here_answers || die "etcd does not answer on $CLIENT_HOST:$CLIENT_PORT two minutes after the start: read its log' + (systemd ? ' (journalctl -u $UNIT)' : ' (crictl logs of the etcd container)') + '."', '  say "etcd answers on $CLIENT_HOST:$CLIENT_PORT."', '}', '')

  // ---- step 6 ----
  add('has_leader() { local l; l="$(status_json | json_number leader)"; [ -n "$l" ] && [ "$l" != 0 ]; }')
  add('step_check() {', '  say "6. Check that this member runs with the planned identity."')
  add(
    '  if ! command -v etcdctl >/dev/null; then say "etcdctl is not installed here: skipped. Run raftdeck restore verify (README.md)."; return 0; fi',
    '  wait_for "$WAIT_LEADER_SECONDS" has_leader || die "No leader after $WAIT_LEADER_SECONDS s. Are all members started? (For https endpoints export ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY.) $(status_json || true)"',
    '  local out member cluster',
    '  out="$(status_json)"',
    '  member="$(json_number member_id <<<"$out")"',
    '  cluster="$(json_number cluster_id <<<"$out")"',
    '  [ "$member" = "$MEMBER_ID_DEC" ] || die "This member answers as ID $member (decimal), the plan says $MEMBER_ID ($MEMBER_ID_DEC): etcd runs from another data dir or was restored with other flags. Stop it, check the service\'s --data-dir, and run step 3 again."',
    '  [ "$cluster" = "$CLUSTER_ID_DEC" ] || die "This member is in cluster $cluster (decimal), the plan says $CLUSTER_ID ($CLUSTER_ID_DEC): it was not restored with this plan\'s token and member list."',
    '  say "OK: member $MEMBER_ID of cluster $CLUSTER_ID, and the cluster has a leader."',
    '}',
    '',
  )
  if (m.run.kind === 'kubeadm')
    add(
      'step_apiserver() {',
      '  say "7. Start the API server again: only after raftdeck restore verify passed."',
      '  if [ -f "$HOLD/kube-apiserver.yaml" ]; then mv "$HOLD/kube-apiserver.yaml" "$APISERVER"; say "moved back; restart kube-controller-manager, kube-scheduler and kubelet too."; else say "no API server manifest was moved here."; fi',
      '}',
      '',
    )

  add(
    'case "${1:-all}" in',
    '  all)',
    '    preflight',
    '    step_stop',
    '    step_aside',
    '    step_restore',
    '    step_own',
    '    step_start',
    '    step_check',
    `    say "Done on $NAME. When every member is done: raftdeck restore verify (see README.md)${m.run.kind === 'kubeadm' ? ', then step 7 (apiserver)' : plan.kubernetes ? ', then start the Kubernetes API servers' : ''}."`,
    '    ;;',
    '  preflight) preflight ;;',
    '  1 | stop) step_stop ;;',
    '  2 | aside) step_aside ;;',
    '  3 | restore) preflight && step_restore ;;',
    '  4 | own) step_own ;;',
    '  5 | start) step_start ;;',
    '  6 | check) step_check ;;',
    ...(m.run.kind === 'kubeadm' ? ['  7 | apiserver) step_apiserver ;;'] : []),
    `  *) die "unknown step '$1' (all, preflight, 1-6${m.run.kind === 'kubeadm' ? ', 7' : ''})" ;;`,
    'esac',
    '',
  )
  return L.join('\n')
}

/** The README of the plan folder. */
export function readme(plan: RestorePlan, steps: Record<string, PlanStep[]>, service: Record<string, string[]>): string {
  const endpoints = plan.members.flatMap((m) => m.clientURLs).join(',')
  const https = plan.members.some((m) => m.clientURLs.some((u) => u.startsWith('https:')))
  const L: string[] = [
    `# Restore plan ${plan.id}`,
    '',
    `Restores **${plan.snapshot.fileName}** (revision ${plan.snapshot.revision}, ${plan.snapshot.liveKeys} keys${plan.kubernetes ? ', Kubernetes data' : ''}) into a ${plan.members.length}-member etcd cluster.`,
    `Made by Raftdeck on ${new Date(plan.createdAt).toISOString()}.`,
    '',
    '| | |',
    '|---|---|',
    `| new cluster ID | \`${plan.clusterId}\` |`,
    `| token | \`${plan.token}\` |`,
    `| restore file | \`${plan.restoreFile.fileName}\` (sha256 \`${plan.restoreFile.sha256}\`) |`,
    `| revision bump | ${plan.bump ? `${plan.bump.revision}, --mark-compacted${plan.bump.mode === 'file' ? ' (already written into the restore file)' : ''}` : 'none'} |`,
    `| revision after restore | ≥ ${plan.expect.minRevision} |`,
    '',
    '| member | member ID | peer URLs | client URLs | data dir | etcd | runs as |',
    '|---|---|---|---|---|---|---|',
    ...plan.members.map((m) => `| ${m.name} | \`${m.id}\` | ${m.peerURLs.join(' ')} | ${m.clientURLs.join(' ')} | ${m.dataDir} | ${m.etcdVersion} (${m.tool}) | ${m.run.kind === 'systemd' ? `systemd unit ${unitOf(m)}` : `static pod ${manifestOf(m)}`} |`),
    '',
    '## Why per member',
    '',
    'Restoring once and copying the data dir to every member makes every member the same one-member cluster:',
    'each elects itself leader and the copies drift apart. Each member is therefore restored on its own host with',
    'its own `--name` and `--initial-advertise-peer-urls`, the same full `--initial-cluster` and the one new',
    '`--initial-cluster-token` above. The IDs in the table are what etcd will derive from these flags; the checks',
    'afterwards compare against them.',
    '',
  ]
  if (plan.notes.length) L.push('## Notes', '', ...plan.notes.map((n) => `- ${n}`), '')
  if (plan.bump) L.push('## Revision bump', '', plan.bump.why, '')
  L.push(
    '## Order',
    '',
    `1. Copy this folder and \`${plan.restoreFile.fileName}\` to every member (the scripts look for it next to themselves, or in \`$SNAPSHOT\`).`,
    plan.kubernetes ? '2. Stop every Kubernetes API server (kubeadm: step 1 of each script moves its manifest away).' : '2. Stop the clients that write to etcd, if you can.',
    `3. On **every** member, as root: \`./restore-<name>.sh\` (at the same time, or one host after the other). Each script checks its input (preflight), stops etcd, moves the old data dir aside, restores, sets ownership, then waits until no other member still runs the old cluster before it starts etcd, and waits for the new cluster's leader.`,
    '   Or run the steps one by one (`./restore-<name>.sh 1`, then `2`, …); step 5 starts etcd only once step 1 ran on every member (it checks the other members first).',
    `4. From a machine that reaches the client URLs:`,
    '',
    '   ```',
    `   raftdeck restore verify --endpoints ${endpoints} --plan <this folder>${https ? ' --cacert CA --cert CERT --key KEY' : ''}`,
    '   ```',
    '',
    '   It exits 0 only when every check passes, and names the cause and the fix of each failure.',
    plan.kubernetes ? '5. Then start the API servers again (kubeadm: step 7), and restart kube-controller-manager, kube-scheduler and kubelet.' : '5. Then let clients back in.',
    '6. Take a new backup right away: the cluster ID changed.',
    '',
    '## Undo',
    '',
    `Stop every member, move each restored data dir away, and move \`<data dir>.pre-restore-${plan.stamp}\` back (for a mounted data dir: the contents of \`<data dir>/pre-restore-${plan.stamp}\`). The old data dirs are never deleted by these scripts.`,
    '',
    '## Per member',
    '',
  )
  for (const m of plan.members) {
    L.push(`### ${m.name} (\`${m.id}\`) — \`${scriptName(m)}\``, '')
    for (const s of steps[m.name]!) L.push(`${s.step}. **${s.title}.** ${s.why}`, '', '   ```sh', ...s.commands.map((c) => `   ${c.replace(/\n/g, '\n   ')}`), '   ```', '')
    L.push('What the service definition must keep or change:', '', ...service[m.name]!.map((n) => `- ${n}`), '')
  }
  return L.join('\n')
}

/** The plan and its renderings (no disk I/O; `dir` is filled in by the caller). */
export function renderPlan(plan: RestorePlan): Omit<RenderedPlan, 'dir'> {
  const steps: Record<string, PlanStep[]> = {}
  const service: Record<string, string[]> = {}
  const serviceMsg: Record<string, Msg[]> = {}
  for (const m of plan.members) {
    steps[m.name] = memberSteps(plan, m)
    serviceMsg[m.name] = serviceNoteMsgs(plan, m)
    service[m.name] = serviceMsg[m.name]!.map(formatMessage)
  }
  const files: PlanFile[] = [
    ...plan.members.map((m) => ({ name: scriptName(m), content: memberScript(plan, m), executable: true })),
    { name: 'README.md', content: readme(plan, steps, service), executable: false },
    { name: 'plan.json', content: JSON.stringify(plan, null, 2) + '\n', executable: false },
  ]
  return { plan, files, steps, service, serviceMsg }
}
