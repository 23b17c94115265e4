export default {
  state: { healthy: 'healthy', degraded: 'degraded', down: 'down', stopped: 'stopped', unknown: 'unknown' },
  reason: {
    'all-up': 'All {total} members are up; the leader is {leader}.',
    'members-down': '{up} of {total} members are up; the quorum of {quorum} holds and {leader} leads. Down: {down}.',
    'members-lagging': 'Every member is up and {leader} leads, but {lagging} lags behind or is cut off from the leader.',
    'no-quorum': 'Only {up} of {total} members are up: a quorum needs {quorum}. The cluster cannot elect a leader or accept writes.',
    'no-leader': '{up} of {total} members are up, but there is no leader: no writes and no linearizable reads right now.',
    'several-leaders': 'More than one member says it leads the same term: these are separate clusters, not one.',
    split: 'The endpoints do not form one cluster: see the alert in the Cluster view.',
    unreachable: 'No member answered.',
    stopped: 'The playground is stopped.',
    'no-status': 'No status yet.',
  },
}
