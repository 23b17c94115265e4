// `raftdeck member`: one etcd-compatible member process. Flags are etcd's own (parsed by
// src-main/member/config.ts, which accepts --flag value, --flag=value and -flag as etcd does), so a
// systemd unit written for etcd runs with this binary swapped in.

import { runMember } from '../member/cli'

export const memberHelp = `raftdeck member: run one etcd-compatible member (Raft in TypeScript, etcd's v3 gRPC API).

Usage: raftdeck member --name NAME --data-dir DIR [flags]

Flags (etcd's names and defaults):
  --name NAME                          human-readable name of this member (default: default)
  --data-dir DIR                       where the member keeps its state
  --wal-dir DIR                        a separate folder for the write-ahead log
  --listen-client-urls URLS            client URLs to listen on (default: http://localhost:2379)
  --advertise-client-urls URLS         client URLs to tell the cluster (default: http://localhost:2379)
  --listen-peer-urls URLS              peer URLs to listen on (default: http://localhost:2380)
  --initial-advertise-peer-urls URLS   peer URLs to tell the cluster (default: http://localhost:2380)
  --initial-cluster NAME=URL,…         the cluster at bootstrap
  --initial-cluster-token TOKEN        cluster token; with the peer URLs it decides member and cluster IDs (default: etcd-cluster)
  --initial-cluster-state new|existing new cluster, or joining one (after MemberAdd) (default: new)
  --heartbeat-interval MS              leader heartbeat interval (default: 100)
  --election-timeout MS                election timeout (default: 1000)
  --snapshot-count N                   applied entries between snapshots (default: 100000)
  --auto-compaction-mode periodic|revision
  --auto-compaction-retention VALUE    hours (periodic, e.g. 1 or 30m) or revisions to keep (default: 0, off)
  --max-request-bytes N                largest client request (default: 1572864)
  --quota-backend-bytes N              backend size that raises the NOSPACE alarm (default: 0 = 2 GiB)
  --enable-debug-service               serve raftdeck.Debug (raft state stream, fault controls) for the playground
  -h, --help                           show this help`

export async function memberCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('-help')) {
    process.stdout.write(memberHelp + '\n')
    return 0
  }
  return runMember(argv)
}
