// `raftdeck doctor`: the connection doctor for scripts and CI. One verdict per endpoint, with the same
// classification and fix as the app's "Test connection"; exits 1 when any endpoint fails.

import { runDoctor } from '../services/connections/doctor'
import { TlsMaterialError } from '../services/etcd/tlsMaterial'
import { authFromFlags, connectionOptions, tlsFromFlags } from './etcdFlags'
import type { DoctorReport, EndpointVerdict } from '../shared'
import { UsageError, type Command } from './command'

function table(verdicts: EndpointVerdict[]): string {
  const lines: string[] = []
  for (const v of verdicts) {
    const mark = v.status === 'ok' ? 'OK  ' : v.status === 'warn' ? 'WARN' : 'FAIL'
    lines.push(`${mark} ${v.endpoint}  ${v.message}`)
    if (v.problem) lines.push(`     problem: ${v.problem}`)
    if (v.fix) lines.push(`     fix: ${v.fix}`)
    for (const s of v.steps) lines.push(`     ${s.ok ? '✓' : '✗'} ${s.name.padEnd(5)} ${String(s.ms).padStart(5)} ms  ${s.note}`)
  }
  return lines.join('\n')
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check etcd endpoints layer by layer (DNS, TCP, TLS, auth, etcd) and explain what is wrong.',
  usage: 'raftdeck doctor --endpoints URL[,URL…] [--cacert F --cert F --key F] [--user NAME[:PASSWORD]] [-w table|json]',
  options: {
    endpoints: { type: 'string', value: 'URLS', description: 'Comma-separated client URLs (https://host:2379,…).' },
    ...connectionOptions(),
    timeout: { type: 'string', value: 'MS', default: '4000', description: 'Per-step timeout in milliseconds.' },
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
    let report: DoctorReport
    try {
      const tls = await tlsFromFlags(values, endpoints)
      const verdicts = await runDoctor({ endpoints, ...(tls ? { tls } : {}), ...(auth ? { auth } : {}), timeoutMs })
      report = { ok: verdicts.every((v) => v.status !== 'fail'), verdicts }
    } catch (err) {
      if (!(err instanceof TlsMaterialError)) throw err
      report = { ok: false, verdicts: endpoints.map((endpoint) => ({ endpoint, status: 'fail', problem: err.kind, message: err.message, fix: err.hint ?? '', steps: [{ name: 'files', ok: false, ms: 0, note: err.kind }], details: {} })) }
    }
    process.stdout.write((format === 'json' ? JSON.stringify(report, null, 2) : table(report.verdicts)) + '\n')
    return report.ok ? 0 : 1
  },
}
