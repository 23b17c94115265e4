// The services' connection messages in the UI's language: a doctor finding built from nested messages
// (an unnamed issuer inside the sentence), its fix and step note, an etcd error's hint, and the kubeadm
// import's warnings, with the English the services keep for the CLI as the fallback.
// It imports the renderer's i18n module (DOM types), so the web tsconfig checks it (the *.web.test.ts pattern).
import { afterEach, describe, expect, it } from 'vitest'
import type { EndpointVerdict, KubeadmImport } from '../../../src-main/shared/dto'
import { formatMessage, msg } from '../../../src-main/shared/i18n/message'
import { errorText, i18n } from '../../../src-renderer/src/i18n'
import { kubeadmWarnings, stepNote, verdictFix, verdictMessage } from '../../../src-renderer/src/features/connections/doctorText'

afterEach(() => {
  i18n.global.locale.value = 'en'
})

const finding = msg('conn.doctor.unknownAuthority', { issuer: msg('conn.doctor.unnamedIssuer'), ours: 'raftdeck-test-ca' })
const fix = msg('conn.doctor.unknownAuthorityHint')
const note = msg('conn.note.connected', { address: '127.0.0.1:2379' })
const verdict: EndpointVerdict = {
  endpoint: 'https://127.0.0.1:2379',
  status: 'fail',
  problem: 'unknown-authority',
  message: formatMessage(finding),
  fix: formatMessage(fix),
  msg: finding,
  fixMsg: fix,
  steps: [{ name: 'tcp', ok: true, ms: 3, note: formatMessage(note), noteMsg: note }],
  details: {},
}

describe('connection messages from the services', () => {
  it('keep their English for the CLI, word for word', () => {
    expect(verdict.message).toBe("The server's certificate was issued by an unnamed issuer, which is not among the CAs you gave (raftdeck-test-ca).")
    expect(formatMessage(msg('conn.doctor.refused', { host: '10.0.0.1', port: '2379' }))).toBe('Nothing listens on 10.0.0.1:2379 (connection refused).')
    expect(formatMessage(msg('conn.ssh.revoked', { where: 'b:22', key: 'ssh-ed25519 SHA256:x', source: 'known_hosts' }))).toBe(
      'The host key of b:22 (ssh-ed25519 SHA256:x) is marked @revoked in known_hosts. Raftdeck refused to connect.',
    )
  })

  it('read in Chinese, nested messages included', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(verdictMessage(verdict)).toBe('服务器证书由 一个未命名的签发者 签发，不在你提供的 CA 之中（raftdeck-test-ca）。')
    expect(verdictFix(verdict)).toContain('/etc/kubernetes/pki/etcd/ca.crt')
    expect(stepNote(verdict.steps[0]!)).toBe('已连接 127.0.0.1:2379')
    const e = { code: 'PERMISSION_DENIED' as never, message: 'x', msg: msg('conn.etcd.permissionDenied'), hintMsg: msg('conn.etcd.permissionDeniedHint') }
    expect(errorText(e)).toBe('权限不足：该用户没有允许此操作的角色。给该用户授予具备所需权限的角色（etcdctl role grant-permission），或换一个用户连接。')
  })

  it('fall back to the English a service without messages sent', () => {
    i18n.global.locale.value = 'zh-CN'
    const { msg: _m, fixMsg: _f, ...old } = verdict
    expect(verdictMessage(old)).toBe(verdict.message)
    const k = { warnings: ['No etcd manifest: add the endpoints by hand.'] } as KubeadmImport
    expect(kubeadmWarnings(k)).toEqual(k.warnings)
    expect(kubeadmWarnings({ ...k, warningMsgs: [msg('conn.kubeadm.warnNoManifest')] })).toEqual(['没有 etcd 清单：请手动添加 endpoint。'])
  })
})
