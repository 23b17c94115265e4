// Debian's OpenSSH server, started by a test on a loopback port with a throwaway host key and
// authorized keys, for the user running the tests (root in CI). Every process and file is removed by
// stop(). `killConnections()` kills the per-connection children, as a dropped network would end them,
// while the listener stays up for the reconnect.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePorts } from './ports'

export const SSHD_BIN = '/usr/sbin/sshd'

export interface SshKeyPair {
  privateKey: string
  publicKey: string
  /** The public key line (type base64 comment). */
  publicLine: string
  fingerprint: string
}

/** A key pair made by ssh-keygen: OpenSSH format, with a passphrase when given. */
export function makeSshKey(dir: string, name: string, opts: { type?: 'ed25519' | 'ecdsa' | 'rsa'; passphrase?: string } = {}): SshKeyPair {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, name)
  const type = opts.type ?? 'ed25519'
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', opts.passphrase ?? '', '-C', `raftdeck-test-${name}`, '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!
  return { privateKey: file, publicKey: `${file}.pub`, publicLine: readFileSync(`${file}.pub`, 'utf8').trim(), fingerprint }
}

export interface Sshd {
  host: '127.0.0.1'
  port: number
  user: string
  hostKey: SshKeyPair
  /** A known_hosts file that trusts this server's host key. */
  knownHosts: string
  process: ChildProcess
  log: string[]
  /** Kills every per-connection process (not the listener): open SSH connections drop. Resolves with how many were killed. */
  killConnections(): number
  /** Freezes the per-connection processes (SIGSTOP): connections stay open but nothing answers, as when a NAT drops state. Returns a function that lets them go on. */
  freezeConnections(): () => void
  stop(): Promise<void>
}

export interface SshdOptions {
  /** Public key lines allowed to sign in. */
  authorizedKeys: string[]
  allowTcpForwarding?: boolean
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa'
  /** Reuse a host key (a restarted server), instead of a new one. */
  hostKey?: SshKeyPair
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(entry))
      children.set(ppid, list)
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}

export async function startSshd(dir: string, opts: SshdOptions): Promise<Sshd> {
  mkdirSync(dir, { recursive: true })
  // sshd refuses to start without its privilege separation folder (Debian creates it at boot only).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const hostKey = opts.hostKey ?? makeSshKey(dir, `host_${opts.hostKeyType ?? 'ed25519'}`, { type: opts.hostKeyType ?? 'ed25519' })
  const authorized = path.join(dir, 'authorized_keys')
  writeFileSync(authorized, opts.authorizedKeys.join('\n') + '\n', { mode: 0o600 })
  const user = os.userInfo().username

  for (let attempt = 0; ; attempt++) {
    const [port] = await freePorts(1)
    const args = [
      '-D', '-e',
      // No system configuration: every setting is here.
      '-f', '/dev/null',
      '-p', String(port),
      '-o', 'ListenAddress=127.0.0.1',
      '-o', `HostKey=${hostKey.privateKey}`,
      '-o', `AuthorizedKeysFile=${authorized}`,
      '-o', 'StrictModes=no',
      '-o', 'UsePAM=no',
      '-o', 'PidFile=none',
      '-o', 'PasswordAuthentication=no',
      '-o', 'KbdInteractiveAuthentication=no',
      '-o', 'PermitRootLogin=prohibit-password',
      '-o', `AllowTcpForwarding=${opts.allowTcpForwarding === false ? 'no' : 'yes'}`,
      '-o', 'Subsystem=sftp internal-sftp',
      '-o', 'LogLevel=DEBUG1',
    ]
    const proc = spawn(SSHD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const log: string[] = []
    const listening = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s:\n${log.join('')}`)), 10_000)
      const onData = (d: Buffer) => {
        log.push(d.toString())
        if (log.join('').includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer)
          resolve(true)
        }
      }
      proc.stdout!.on('data', onData)
      proc.stderr!.on('data', onData)
      proc.once('exit', () => {
        clearTimeout(timer)
        if (/Address already in use/.test(log.join('')) && attempt < 5) resolve(false)
        else reject(new Error(`sshd exited (${proc.exitCode}):\n${log.join('')}`))
      })
    })
    if (!listening) continue
    const knownHosts = path.join(dir, `known_hosts_${port}`)
    const [type, b64] = hostKey.publicLine.split(' ')
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${type} ${b64}\n`)
    const sshd: Sshd = {
      host: '127.0.0.1',
      port: port!,
      user,
      hostKey,
      knownHosts,
      process: proc,
      log,
      killConnections() {
        const pids = descendants(proc.pid!)
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            // Already gone.
          }
        }
        return pids.length
      },
      freezeConnections() {
        const pids = descendants(proc.pid!)
        const signal = (sig: NodeJS.Signals) => {
          for (const pid of pids) {
            try {
              process.kill(pid, sig)
            } catch {
              // Already gone.
            }
          }
        }
        signal('SIGSTOP')
        return () => signal('SIGCONT')
      },
      async stop() {
        sshd.killConnections()
        if (proc.exitCode !== null || proc.signalCode !== null) return
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve())
          proc.kill('SIGKILL')
        })
      },
    }
    return sshd
  }
}
