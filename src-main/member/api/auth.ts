/** etcdserverpb.Auth: enable/disable, authenticate, users and roles (etcdctl auth/user/role). */
import type * as grpc from '@grpc/grpc-js'
import { hashPassword } from '../auth/store'
import type { ApiContext, LinearizableReads, ProposalBody, Proposing } from '../server/ports'
import { authOf, requireAdmin, unary } from './handler'

export type AuthHost = ApiContext & Proposing & LinearizableReads

export function authService(server: AuthHost): grpc.UntypedServiceImplementation {
  const auth = () => server.state.auth
  /** A replicated auth change, allowed to root users only once auth is on. */
  const change = <Req>(build: (req: Req) => ProposalBody | Promise<ProposalBody>) =>
    unary(server, async (req: Req, call) => {
      requireAdmin(auth(), call.metadata)
      const out = await server.propose(await build(req), { auth: authOf(auth(), call.metadata) })
      return { header: server.header(out.revision) }
    })
  const read = <Req, Res>(fn: (req: Req) => Res) =>
    unary(server, async (req: Req, call) => {
      requireAdmin(auth(), call.metadata)
      return { header: server.header(), ...fn(req) }
    })
  return {
    AuthEnable: change(() => ({ auth_enable: {} })),
    AuthDisable: change(() => ({ auth_disable: {} })),
    Authenticate: unary(server, async (req: { name: string; password: string }) => {
      await server.linearizableBarrier()
      const token = await auth().checkPassword(req.name, req.password, server.state.appliedIndex)
      const out = await server.propose({ auth_authenticate: { name: req.name, simple_token: token } })
      return { header: server.header(out.revision), token }
    }),
    // Passwords are hashed before they enter the log: the log never holds a clear-text password.
    // The hashing runs on the thread pool, never on the member's own thread.
    UserAdd: change(async (r: { name: string; password: string; options?: { no_password: boolean } }) => ({
      auth_user_add: { name: r.name, password: r.options?.no_password ? '' : await hashPassword(r.password) },
    })),
    UserDelete: change((r: { name: string }) => ({ auth_user_delete: r })),
    UserChangePassword: change(async (r: { name: string; password: string }) => ({ auth_user_change_password: { name: r.name, password: await hashPassword(r.password) } })),
    UserGrantRole: change((r: { user: string; role: string }) => ({ auth_user_grant_role: r })),
    UserRevokeRole: change((r: { name: string; role: string }) => ({ auth_user_revoke_role: r })),
    RoleAdd: change((r: { name: string }) => ({ auth_role_add: r })),
    RoleDelete: change((r: { role: string }) => ({ auth_role_delete: r })),
    RoleGrantPermission: change((r: { name: string; perm: { permType: 'READ' | 'WRITE' | 'READWRITE'; key: Buffer; range_end: Buffer } }) => ({ auth_role_grant_permission: r })),
    RoleRevokePermission: change((r: { role: string; key: Buffer; range_end: Buffer }) => ({ auth_role_revoke_permission: r })),
    UserGet: read((r: { name: string }) => ({ roles: auth().userGet(r.name) })),
    UserList: read(() => ({ users: auth().userList() })),
    RoleGet: read((r: { role: string }) => ({
      perm: auth()
        .roleGet(r.role)
        .map((p) => ({ permType: p.permType, key: Buffer.from(p.key, 'latin1'), range_end: Buffer.from(p.rangeEnd, 'latin1') })),
    })),
    RoleList: read(() => ({ roles: auth().roleList() })),
  }
}
