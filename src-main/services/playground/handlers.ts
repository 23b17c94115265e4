import type { playgroundMethods, playgroundStreams } from '../../shared/api/playground'
import type { Handlers, StreamOpeners } from '../types'
import type { PlaygroundService } from './service'

export function playgroundHandlers(pg: PlaygroundService): Pick<Handlers, keyof typeof playgroundMethods> {
  return {
    'playground/list': () => pg.list(),
    'playground/create': ({ name, members, engine, tls }) => pg.create(name, members, engine, { tls: tls ?? false }),
    'playground/restore': ({ name, members, snapshotPath, bumpRevision, markCompacted, engine }) =>
      pg.restore(name, members, snapshotPath, { ...(bumpRevision ? { bumpRevision } : {}), ...(markCompacted ? { markCompacted } : {}) }, engine ?? 'raftdeck'),
    'playground/start': ({ id }) => pg.start(id),
    'playground/stop': ({ id }) => pg.stop(id),
    'playground/delete': async ({ id }) => {
      await pg.remove(id)
      return null
    },
    'playground/member': ({ id, member, action }) => pg.memberAction(id, member, action),
    'playground/isolate': ({ id, member, peer, direction }) => pg.isolate(id, member, peer, direction),
    'playground/heal': ({ id, member }) => pg.heal(id, member),
    'playground/addMember': ({ id }) => pg.addMember(id),
    'playground/promote': ({ id, member }) => pg.promote(id, member),
    'playground/removeMember': ({ id, member }) => pg.removeMember(id, member),
    'playground/moveLeader': ({ id, member }) => pg.moveLeader(id, member),
    'playground/setLoad': async ({ id, writesPerSecond }) => pg.setLoad(id, writesPerSecond),
    'playground/memberLog': async ({ id, member, lines }) => pg.memberLog(id, member, lines ?? 500),
  }
}

export function playgroundStreamOpeners(pg: PlaygroundService): Pick<StreamOpeners, keyof typeof playgroundStreams> {
  return {
    'playground/onEvents': ({ id, traces }, sink) => pg.subscribe(id, traces ?? true, (ev) => sink.emit(ev)),
    'playground/onList': (_p, sink) => pg.subscribeList((list) => sink.emit(list)),
  }
}
