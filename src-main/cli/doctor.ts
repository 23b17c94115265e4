// `raftdeck doctor`: the connection doctor for scripts and CI. One verdict per endpoint, with the same
// classification and fix as the app's "Test connection" (including the SSH stage through
// --ssh-tunnel); exits 1 when the tunnel or any endpoint fails.

import { diagnose } from '../services/connections/doctor'
import { TlsMaterialError } from '../services/etcd/tlsMaterial'
import { authFromFlags, connectionOptions, tlsFromFlags, tunnelFromFlags } from './etcdFlags'
import type { CertificateInfo, DoctorReport, DoctorStep, EndpointVerdict, TunnelVerdict } from '../shared'
import { UsageError, type Command } from './command'

const stepLine = (s: DoctorStep) => `     ${s.ok ? '✓' : '✗'} ${s.name.padEnd(9)} ${String(s.ms).padStart(5)} ms  ${s.note}`

function tunnelTable(t: TunnelVerdict): string[] {
  const lines = [`${t.status === 'ok' ? 'OK  ' : 'FAIL'} ssh ${t.hops.join(' → ')}  ${t.message}`]
  if (t.problem) lines.push(`     problem: ${t.problem}${t.stage ? ` (stage ${t.stage})` : ''}`)
  if (t.fix) lines.push(`     fix: ${t.fix}`)
  for (const s of t.steps) lines.push(stepLine(s))
  return lines
}

function certificateLines(certs: CertificateInfo[]): string[] {
  if (certs.length === 0) return []
  const lines = ['certificates:']
  for (const c of certs) {
    const mark = c.status === 'ok' ? 'OK  ' : c.status === 'warn' ? 'WARN' : 'FAIL'
    const left = c.status === 'expired' ? `expired ${-c.daysLeft} days ago` : c.status === 'not-yet-valid' ? 'not valid yet' : `${c.daysLeft} days left`
    lines.push(`${mark} ${c.role.padEnd(6)} ${c.subject}  until ${c.validTo.slice(0, 10)} (${left})  ${c.source}`)
  }
  return lines
}

function table(report: DoctorReport): string {
  const lines: string[] = report.tunnel ? tunnelTable(report.tunnel) : []
  for (const v of report.verdicts as EndpointVerdict[]) {
    const mark = v.status === 'ok' ? 'OK  ' : v.status === 'warn' ? 'WARN' : 'FAIL'
    lines.push(`${mark} ${v.endpoint}  ${v.message}`)
    if (v.problem) lines.push(`     problem: ${v.problem}`)
    if (v.fix) lines.push(`     fix: ${v.fix}`)
    for (const s of v.steps) lines.push(stepLine(s))
  }
  lines.push(...certificateLines(report.certificates ?? []))
  return lines.join('\n')
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check etcd endpoints layer by layer (SSH, DNS, TCP, TLS, auth, etcd) and explain what is wrong.',
  usage: 'raftdeck doctor --endpoints URL[,URL…] [--cacert F --cert F --key F] [--user NAME[:PASSWORD]] [--ssh-tunnel USER@HOST[:PORT] --ssh-key F [--ssh-known-hosts F]] [-w table|json]',
  options: {
    endpoints: { type: 'string', value: 'URLS', description: 'Comma-separated client URLs (https://host:2379,…).' },
    ...connectionOptions(),
    timeout: { type: 'string', value: 'MS', default: '4000', description: 'Per-stage timeout in milliseconds.' },
    'write-out': { type: 'string', short: 'w', value: 'FORMAT', default: 'table', description: 'Output format: table or json.' },
  },
  async run(values) {
    const endpoints = String(values.endpoints ?? '').split(',').map((e) => e.trim()).filter(Boolean)
    if (endpoints.length === 0) throw new UsageError('--endpoints is required', 'Example: raftdeck doctor --endpoints https://10.0.0.1:2379 --cacert ca.pem --cert client.pem --key client-key.pem')
    const format = String(values['write-out'])
    if (format !== 'table' && format !== 'json') throw new UsageError(`-w must be table or json, got '${format}'`)
    const timeoutMs = Number(values.timeout)
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new UsageError('--timeout must be a number of milliseconds ≥ 100')
    const auth = authFromFlags(values)
    const tunnel = tunnelFromFlags(values, { timeoutMs })
    let report: DoctorReport
    try {
      const tls = await tlsFromFlags(values, endpoints)
      const files = { ...(typeof values.cacert === 'string' ? { caFile: values.cacert } : {}), ...(typeof values.cert === 'string' ? { certFile: values.cert } : {}) }
      report = await diagnose({ endpoints, ...(tls ? { tls } : {}), ...(auth ? { auth } : {}), ...(tunnel ? { tunnel } : {}), tlsFiles: files, timeoutMs })
    } catch (err) {
      if (!(err instanceof TlsMaterialError)) throw err
      report = { ok: false, verdicts: endpoints.map((endpoint) => ({ endpoint, status: 'fail', problem: err.kind, message: err.message, fix: err.hint ?? '', steps: [{ name: 'files', ok: false, ms: 0, note: err.kind }], details: {} })) }
    } finally {
      tunnel?.close()
    }
    process.stdout.write((format === 'json' ? JSON.stringify(report, null, 2) : table(report)) + '\n')
    return report.ok ? 0 : 1
  },
}
