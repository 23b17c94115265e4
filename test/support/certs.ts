// Test PKI generated with openssl for each run: a cluster CA, a second unrelated CA, server, peer and
// client certificates, keys in PKCS#8, PKCS#1 and EC, and certificates that are expired or not yet valid.

import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface Pki {
  dir: string
  ca: string
  otherCa: string
  /** Server/peer certificate for every member: SANs DNS:etcd.test.local and IP:127.0.0.1 (not localhost). */
  serverCert: string
  serverKey: string
  expiredServerCert: string
  expiredServerKey: string
  /** Client certificate (CN=raftdeck-client) with a PKCS#8 RSA key. */
  clientCert: string
  clientKey: string
  /** The same certificate's key in PKCS#1 ("BEGIN RSA PRIVATE KEY"). */
  clientKeyPkcs1: string
  ecClientCert: string
  ecClientKey: string
  expiredClientCert: string
  expiredClientKey: string
  /** A client certificate from the other CA, which the cluster does not trust. */
  strangerClientCert: string
  strangerClientKey: string
  /** A key that belongs to no certificate above. */
  unrelatedKey: string
}

function ossl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

export function makePki(where: string): Pki {
  const dir = path.resolve(where)
  mkdirSync(dir, { recursive: true })
  const p = (f: string) => path.join(dir, f)

  const makeCa = (name: string, cn: string) => ossl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '3650', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  makeCa('ca', 'raftdeck-test-ca')
  makeCa('other-ca', 'some-other-ca')

  writeFileSync(p('server.ext'), 'subjectAltName=DNS:etcd.test.local,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n')
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n')

  const sign = (name: string, ca: string, ext: string, keyArgs: string[], cn: string, dates?: { start: string; end: string }) => {
    ossl(dir, ['req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`])
    if (!dates) {
      ossl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '365', '-extfile', ext])
      return
    }
    // `openssl x509` cannot back-date; `openssl ca` can set both ends of the validity period.
    const caDir = p(`ca-${name}`)
    mkdirSync(path.join(caDir, 'new'), { recursive: true })
    writeFileSync(path.join(caDir, 'index.txt'), '')
    writeFileSync(path.join(caDir, 'serial'), '1000\n')
    writeFileSync(
      path.join(caDir, 'ca.cnf'),
      [
        '[ca]', 'default_ca = test', '[test]', `dir = ${caDir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir/new', 'serial = $dir/serial',
        `certificate = ${p(`${ca}.pem`)}`, `private_key = ${p(`${ca}-key.pem`)}`, 'default_md = sha256', 'policy = any', 'copy_extensions = none', 'unique_subject = no',
        '[any]', 'commonName = supplied',
      ].join('\n') + '\n',
    )
    ossl(dir, ['ca', '-batch', '-config', path.join(caDir, 'ca.cnf'), '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', dates.start, '-enddate', dates.end, '-extfile', ext, '-notext'])
  }

  const rsa = ['-newkey', 'rsa:2048']
  sign('server', 'ca', 'server.ext', rsa, 'etcd-server')
  sign('server-expired', 'ca', 'server.ext', rsa, 'etcd-server', { start: '20200101000000Z', end: '20210101000000Z' })
  sign('client', 'ca', 'client.ext', rsa, 'raftdeck-client')
  ossl(dir, ['rsa', '-in', 'client-key.pem', '-traditional', '-out', 'client-key-pkcs1.pem'])
  sign('client-ec', 'ca', 'client.ext', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'raftdeck-client-ec')
  // SEC1 form ("BEGIN EC PRIVATE KEY"), as kubeadm and cfssl write EC keys.
  ossl(dir, ['ec', '-in', 'client-ec-key.pem', '-out', 'client-ec-key-sec1.pem'])
  sign('client-expired', 'ca', 'client.ext', rsa, 'raftdeck-client', { start: '20200101000000Z', end: '20210101000000Z' })
  sign('client-stranger', 'other-ca', 'client.ext', rsa, 'raftdeck-client')
  ossl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'unrelated-key.pem'])

  return {
    dir,
    ca: p('ca.pem'),
    otherCa: p('other-ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server-key.pem'),
    expiredServerCert: p('server-expired.pem'),
    expiredServerKey: p('server-expired-key.pem'),
    clientCert: p('client.pem'),
    clientKey: p('client-key.pem'),
    clientKeyPkcs1: p('client-key-pkcs1.pem'),
    ecClientCert: p('client-ec.pem'),
    ecClientKey: p('client-ec-key-sec1.pem'),
    expiredClientCert: p('client-expired.pem'),
    expiredClientKey: p('client-expired-key.pem'),
    strangerClientCert: p('client-stranger.pem'),
    strangerClientKey: p('client-stranger-key.pem'),
    unrelatedKey: p('unrelated-key.pem'),
  }
}
