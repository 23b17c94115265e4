// Kubernetes values: the envelope, known kinds by schema, unknown kinds as raw field trees, damaged
// bytes reported instead of thrown, and format detection of the other kinds of values.
import { describe, expect, it } from 'vitest'
import { formatMessage } from '../../../src-main/shared/i18n/message'
import { decodeKubernetes } from '../../../src-main/services/keys/k8s/decode'
import { describeValue } from '../../../src-main/services/keys/format'
import { configMap, deployment, envelope, msg, namespace, pod, secret, service, widget } from '../../integration/keys/k8sEncode'

describe('Kubernetes protobuf values', () => {
  it('decodes built-in kinds by their field numbers', () => {
    const p = decodeKubernetes(pod('prod', 'api-1', 'nginx:1.27'))
    expect(p).toMatchObject({ apiVersion: 'v1', kind: 'Pod', known: true })
    expect(p.object).toMatchObject({ metadata: { name: 'api-1', namespace: 'prod', labels: { app: 'api' } }, spec: { containers: [{ image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] } })
    expect(decodeKubernetes(namespace('prod')).object).toMatchObject({ kind: 'Namespace', metadata: { name: 'prod' }, status: { phase: 'Active' } })
    expect(decodeKubernetes(configMap('a', 'b', { x: 'y' })).object).toMatchObject({ data: { x: 'y' } })
    expect(decodeKubernetes(secret('a', 'b', { pw: Buffer.from([0, 255]) })).object).toMatchObject({ data: { pw: 'AP8=' } })
    expect(decodeKubernetes(service('a', 'b', 443)).object).toMatchObject({ spec: { ports: [{ port: 443, targetPort: 8080 }] } })
    expect(decodeKubernetes(deployment('a', 'b', 0)).object).toMatchObject({ apiVersion: 'apps/v1', spec: { replicas: 0 } })
  })

  it('shows unknown kinds as a raw field tree, and unknown fields of known kinds by number', () => {
    const w = decodeKubernetes(widget('ns', 'w'))
    expect(w.known).toBe(false)
    expect(w.object).toMatchObject({ '#1': { '#1': 'w', '#3': 'ns' }, '#2': { '#1': 'blue', '#2': 7 } })
    const future = decodeKubernetes(envelope('v1', 'Namespace', msg([[1, msg([[1, 'n']])], [99, 'from the future']])))
    expect(future.object).toMatchObject({ metadata: { name: 'n' }, '#99': 'from the future' })
  })

  it('reports damaged bytes instead of throwing', () => {
    const good = pod('a', 'b')
    const cut = good.subarray(0, good.length - 5)
    const v = decodeKubernetes(cut)
    expect(v.error).toBeTruthy()
    // The same note as a message key for the renderer (its English is the error the CLI prints).
    expect(v.errorMsg?.key).toMatch(/^keys\.k8s\.(envelope|undecodable)$/)
    expect(formatMessage(v.errorMsg!)).toBe(v.error)
  })
})

describe('format detection', () => {
  const fmt = (s: string | Buffer) => describeValue(Buffer.isBuffer(s) ? s : Buffer.from(s), Buffer.byteLength(s), false).format
  it('tells JSON, YAML, text, binary, Kubernetes and encrypted values apart', () => {
    expect(fmt('{"a": [1, 2]}')).toBe('json')
    expect(fmt('a: 1\nb:\n  - x\n')).toBe('yaml')
    expect(fmt('hello world')).toBe('text')
    expect(fmt('{not json')).toBe('text')
    expect(fmt(Buffer.from([0, 1, 2, 3]))).toBe('binary')
    expect(fmt(Buffer.from([0xff, 0xfe]))).toBe('binary')
    expect(fmt(pod('a', 'b'))).toBe('kubernetes')
    expect(describeValue(Buffer.from('k8s:enc:kms:v2:vault:xyz'), 24, false)).toMatchObject({ format: 'kubernetes-encrypted', encrypted: { provider: 'kms', keyName: 'vault' } })
    expect(fmt('')).toBe('empty')
  })

  it('keeps a truncated value as text even when the cut splits a character', () => {
    const text = 'é'.repeat(10)
    const bytes = Buffer.from(text).subarray(0, 7)
    expect(describeValue(bytes, 20, true)).toMatchObject({ format: 'text', text: 'ééé' })
  })
})
