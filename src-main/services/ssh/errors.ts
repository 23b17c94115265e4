// SSH failures as typed errors: which stage failed (so a timeout can name it), the problem in the
// doctor's vocabulary, a message that says what happened and a fix that says what to do.

import { AppError, ErrorCode, type DoctorProblem, type DoctorStep, type SshHostKeyOffer } from '../../shared'

export type SshStage = Extract<DoctorStep['name'], 'ssh-files' | 'ssh-dns' | 'ssh-tcp' | 'host-key' | 'ssh-auth' | 'forward'>

export const STAGE_LABEL: Record<SshStage, string> = {
  'ssh-files': 'SSH key',
  'ssh-dns': 'bastion DNS',
  'ssh-tcp': 'TCP to the bastion',
  'host-key': 'host key',
  'ssh-auth': 'SSH authentication',
  forward: 'forwarding',
}

export class SshError extends AppError {
  constructor(
    readonly problem: DoctorProblem,
    readonly stage: SshStage,
    message: string,
    hint: string,
    readonly offer?: SshHostKeyOffer,
    code: ErrorCode = ErrorCode.Unavailable,
  ) {
    super(code, message, hint, { ssh: problem, stage, ...(offer ? { hostKey: offer } : {}) })
    this.name = 'SshError'
  }
}

export function stageTimeout(stage: SshStage, where: string, ms: number, fix: string): SshError {
  return new SshError('ssh-timeout', stage, `SSH tunnel: the ${STAGE_LABEL[stage]} stage timed out after ${ms} ms (${where}).`, fix, undefined, ErrorCode.Timeout)
}

/** Runs `work` with a deadline; on timeout, `onTimeout` cleans up and the stage's timeout error is thrown. */
export function withStageTimeout<T>(work: Promise<T>, ms: number, makeError: () => SshError, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.()
      reject(makeError())
    }, ms)
    work.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e as Error)
      },
    )
  })
}
