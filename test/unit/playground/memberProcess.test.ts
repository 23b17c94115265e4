import { describe, expect, it } from 'vitest'
import { MemberProcess } from '../../../src-main/services/playground/memberProcess'

describe('member process', () => {
  it('reports a command that cannot be run as crashed, with the reason, instead of hanging in starting', async () => {
    const states: string[] = []
    const p = new MemberProcess('n1', 'etcd', 1, { onState: () => states.push(p.state), onLogLine: () => {} })
    await expect(p.start({ cmd: '/nonexistent/etcd', args: [], env: process.env }, 5000)).rejects.toThrow(/n1 exited during start-up: cannot start \/nonexistent\/etcd: .*ENOENT/)
    expect(p.state).toBe('crashed')
    expect(p.alive).toBe(false)
    expect(states).toEqual(['starting', 'crashed'])
  })

  it('reports a process that exits during start-up with its last output', async () => {
    const p = new MemberProcess('n2', 'etcd', 1, { onState: () => {}, onLogLine: () => {} })
    await expect(p.start({ cmd: process.execPath, args: ['-e', 'console.error("bind: address already in use"); process.exit(1)'], env: process.env }, 5000)).rejects.toThrow(/address already in use/)
    expect(p.state).toBe('crashed')
  })
})
