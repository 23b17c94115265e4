/** etcdserverpb.Auth: enable/disable, authenticate, users and roles (etcdctl auth/user/role). */
import { randomBytes } from 'node:crypto'
import type * as grpc from '@grpc/grpc-js'
import { hashPassword } from '../auth/passwords'
import { simpleTokenKey } from '../auth/store'
import { EtcdError, Errors } from '../errors'
import type { ApiContext, LinearizableReads, ProposalBody, Proposing } from '../server/ports'
import { authInfoOf, authOf, requireAdmin, unary } from './handler'

export type AuthHost = ApiContext & Proposing & LinearizableReads & { readonly bcryptCost: number }

interface Perm {
  permType: 'READ' | 'WRITE' | 'READWRITE'
  key: Buffer
  range_end: Buffer
}

export function authService(server: AuthHost): grpc.UntypedServiceImplementation {
  const auth = () => server.state.auth
  /**
   * A replicated auth change, allowed to root users only once auth is on. `build` validates the
   * request where etcd does (empty user and role names on add, a missing permission) and may hash
   * a password, off the Raft loop, before anything is proposed; the rest (names not found…) is
   * decided when the entry is applied, as in etcd.
   */
  const change = <Req>(build: (req: Req) => ProposalBody | Promise<ProposalBody>) =>
    unary(server, async (req: Req, call) => {
      requireAdmin(auth(), call.metadata)
      const body = await build(req)
      const out = await server.propose(body, { auth: authOf(auth(), call.metadata) })
      return { header: server.header(out.revision) }
    })
  /**
   * A read of the auth state: root users, or (`self`) a caller asking about themselves (etcd's
   * UserGet/RoleGet rules). etcd 3.4 sends these through the log; a read index round gives the same
   * answer (a user added on another member a moment ago is found) without an entry.
   */
  const read = <Req, Res>(fn: (req: Req) => Res, self?: (req: Req, user: string) => boolean) =>
    unary(server, async (req: Req, call) => {
      await server.linearizableBarrier()
      const ai = authInfoOf(auth(), call.metadata)
      if (ai && !(self && self(req, ai.username))) auth().checkAdmin(ai)
      return { header: server.header(), ...fn(req) }
    })
  const named = (name: string, empty: () => EtcdError): string => {
    if (!name) throw empty()
    return name
  }
  return {
    AuthEnable: change(() => ({ auth_enable: {} })),
    AuthDisable: change(() => ({ auth_disable: {} })),
    Authenticate: unary(server, async (req: { name: string; password: string }, call) => {
      await server.linearizableBarrier()
      await auth().checkPassword(req.name, req.password)
      // A login is a proposal too: a token sent along must be valid (etcd's AuthInfoFromCtx).
      authInfoOf(auth(), call.metadata)
      const jwt = auth().jwt
      if (jwt && !jwt.canSign) throw new EtcdError(9, 'etcdserver: auth: token signing attempted with verify-only key')
      // A simple token is proposed so every member learns it; a JWT needs no shared state, but the
      // login still goes through the log (as in etcd) so its revision is the one the token carries.
      const simple = jwt ? '' : `${randomBytes(8).toString('hex')}.${server.state.appliedIndex}`
      const out = await server.propose({ auth_authenticate: { name: req.name, simple_token: simple } })
      // The client's token names this member's applied index once the login is applied, so a member
      // that has not applied it yet waits for it instead of refusing the token (etcd's token index).
      const token = jwt ? jwt.sign({ username: req.name, revision: auth().revision }) : `${simpleTokenKey(simple)}.${server.state.appliedIndex}`
      return { header: server.header(out.revision), token }
    }),
    // Passwords are hashed before they enter the log (etcd 3.5's HashedPassword): the log never
    // holds a clear-text password and applying never hashes.
    UserAdd: change(async (r: { name: string; password: string; options?: { no_password: boolean } | null }) => ({
      auth_user_add: { name: named(r.name, Errors.userEmpty), password: r.options?.no_password ? '' : await hashPassword(r.password, server.bcryptCost) },
    })),
    UserDelete: change((r: { name: string }) => ({ auth_user_delete: { name: r.name } })),
    UserChangePassword: change(async (r: { name: string; password: string }) => ({
      auth_user_change_password: { name: r.name, password: await hashPassword(r.password, server.bcryptCost) },
    })),
    UserGrantRole: change((r: { user: string; role: string }) => ({ auth_user_grant_role: { user: r.user, role: r.role } })),
    UserRevokeRole: change((r: { name: string; role: string }) => ({ auth_user_revoke_role: { name: r.name, role: r.role } })),
    RoleAdd: change((r: { name: string }) => ({ auth_role_add: { name: named(r.name, Errors.roleEmpty) } })),
    RoleDelete: change((r: { role: string }) => ({ auth_role_delete: { role: r.role } })),
    RoleGrantPermission: change((r: { name: string; perm: Perm | null }) => {
      // etcd 3.4 proposed this without a permission and every member exited applying it.
      if (!r.perm) throw Errors.permissionNotGiven()
      return { auth_role_grant_permission: { name: r.name, perm: r.perm } }
    }),
    RoleRevokePermission: change((r: { role: string; key: Buffer; range_end: Buffer }) => ({ auth_role_revoke_permission: r })),
    // Anyone may ask about themselves (etcd compares the names as given, both empty included).
    UserGet: read(
      (r: { name: string }) => ({ roles: auth().userGet(r.name) }),
      (r, user) => r.name === user,
    ),
    UserList: read(() => ({ users: auth().userList() })),
    RoleGet: read(
      (r: { role: string }) => ({
        perm: auth()
          .roleGet(r.role)
          .map((p) => ({ permType: p.permType, key: Buffer.from(p.key, 'latin1'), range_end: Buffer.from(p.rangeEnd, 'latin1') })),
      }),
      (r, user) => auth().hasRole(user, r.role),
    ),
    RoleList: read(() => ({ roles: auth().roleList() })),
  }
}
