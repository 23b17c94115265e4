import type { connectionMethods } from '../../shared/api/connections'
import type { Handlers } from '../types'
import type { ConnectionService } from './service'

export function connectionHandlers(connections: ConnectionService): Pick<Handlers, keyof typeof connectionMethods> {
  return {
    'connections/list': () => connections.list(),
    'connections/save': ({ input }) => connections.save(input),
    'connections/delete': async ({ id }) => {
      await connections.remove(id)
      return null
    },
    'connections/test': (p) => connections.test(p),
    'connections/importPem': ({ kind, fileName, pem }) => connections.importPem(kind, fileName, pem),
    'connections/kubeadmImport': (p) => connections.kubeadmImport(p),
  }
}
