// etcdctl's connection flags (--cacert, --cert, --key, --user, …), shared by the commands that talk to
// an etcd endpoint, so they are declared, parsed and loaded the same way everywhere.

import { loadTlsMaterial, type TlsMaterial } from '../services/etcd/tlsMaterial'
import type { OptionSpec, OptionValues } from './command'

/** The option specs; `purpose` prefixes each description (e.g. 'save: '). */
export function connectionOptions(purpose = ''): Record<string, OptionSpec> {
  return {
    cacert: { type: 'string', value: 'FILE', description: `${purpose}CA bundle that signed the server certificates (PEM).` },
    cert: { type: 'string', value: 'FILE', description: `${purpose}client certificate (PEM).` },
    key: { type: 'string', value: 'FILE', description: `${purpose}client key (PEM: PKCS#1, PKCS#8 or EC).` },
    'server-name': { type: 'string', value: 'NAME', description: `${purpose}verify the server certificate against this name.` },
    'insecure-skip-tls-verify': { type: 'boolean', description: `${purpose}do not verify the server certificate (insecure).` },
    user: { type: 'string', value: 'NAME[:PASSWORD]', description: `${purpose}etcd user; the password may also come from $ETCDCTL_PASSWORD.` },
  }
}

/** --user NAME[:PASSWORD], with the password from $ETCDCTL_PASSWORD when it is not given, as etcdctl does. */
export function authFromFlags(values: OptionValues): { username: string; password: string } | undefined {
  const user = values.user
  if (typeof user !== 'string') return undefined
  const i = user.indexOf(':')
  return i >= 0 ? { username: user.slice(0, i), password: user.slice(i + 1) } : { username: user, password: process.env.ETCDCTL_PASSWORD ?? '' }
}

/** The TLS material the flags name, or undefined when neither an https endpoint nor a TLS flag asks for TLS. Throws TlsMaterialError. */
export async function tlsFromFlags(values: OptionValues, endpoints: string[]): Promise<TlsMaterial | undefined> {
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const wanted = endpoints.some((e) => e.startsWith('https://')) || Boolean(str('cacert') || str('cert') || str('key'))
  if (!wanted) return undefined
  return loadTlsMaterial({
    ...(str('cacert') ? { caFile: str('cacert')! } : {}),
    ...(str('cert') ? { certFile: str('cert')! } : {}),
    ...(str('key') ? { keyFile: str('key')! } : {}),
    ...(str('server-name') ? { serverName: str('server-name')! } : {}),
    ...(values['insecure-skip-tls-verify'] ? { insecureSkipVerify: true } : {}),
  })
}
