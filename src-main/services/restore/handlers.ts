import type { restoreMethods } from '../../shared/api/restore'
import type { RunMode } from '../../shared/api/restore'
import { AppError, ErrorCode, msg } from '../../shared'
import type { Handlers } from '../types'
import type { RestoreService } from './service'

/** The schema gives {kind, unit?, manifest?}; a plan needs the one that fits the kind. */
function runMode(r: { kind: 'systemd' | 'kubeadm'; unit?: string; manifest?: string }, at: string): RunMode {
  if (r.kind === 'systemd') {
    if (r.manifest) throw new AppError(ErrorCode.InvalidParams, msg('restore.errors.runMismatchSystemd', { at }))
    return { kind: 'systemd', unit: r.unit ?? 'etcd' }
  }
  if (r.unit) throw new AppError(ErrorCode.InvalidParams, msg('restore.errors.runMismatchKubeadm', { at }))
  return { kind: 'kubeadm', manifest: r.manifest ?? '/etc/kubernetes/manifests/etcd.yaml' }
}

export function restoreHandlers(restore: RestoreService): Pick<Handlers, keyof typeof restoreMethods> {
  return {
    'restore/inspect': ({ path }) => restore.inspect(path),
    'restore/discover': ({ connectionId }) => restore.discover(connectionId),
    'restore/impact': ({ path, target }) => restore.impact(path, target),
    'restore/plan': ({ members, ...rest }) => restore.plan({ ...rest, members: members.map((m, i) => ({ ...m, run: runMode(m.run, `members[${i}]`) })) }),
    'restore/getPlan': ({ planId }) => restore.getPlan(planId),
    'restore/rehearse': ({ planId, engine, procedure }) => restore.rehearse(planId, engine, procedure),
    'restore/verify': ({ planId, target }) => restore.verify(planId, target),
    'restore/lint': async ({ text, kubernetes, etcdVersion }) => restore.lint(text, { ...(kubernetes !== undefined ? { kubernetes } : {}), ...(etcdVersion ? { etcdVersion } : {}) }),
    'restore/openSnapshot': ({ path }) => restore.openSnapshot(path),
    'restore/closeSnapshot': async ({ id }) => {
      restore.closeSnapshot(id)
      return null
    },
    'restore/openSnapshots': async () => restore.openSnapshots(),
  }
}
