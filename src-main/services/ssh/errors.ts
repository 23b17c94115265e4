// SSH failures as typed errors: which stage failed (so a timeout can name it), the problem in the
// doctor's vocabulary, a message that says what happened and a fix that says what to do.

import { AppError, ErrorCode, msg, type DoctorProblem, type DoctorStep, type Msg, type SshHostKeyOffer } from '../../shared'

export type SshStage = Extract<DoctorStep['name'], 'ssh-files' | 'ssh-dns' | 'ssh-tcp' | 'host-key' | 'ssh-auth' | 'forward'>

/** What a stage is called in a message ("the SSH key stage timed out"). */
export const stageLabel = (stage: SshStage): Msg => msg(`conn.ssh.stage.${stage}`)

export class SshError extends AppError {
  constructor(
    readonly problem: DoctorProblem,
    readonly stage: SshStage,
    message: string | Msg,
    hint: string | Msg,
    readonly offer?: SshHostKeyOffer,
    code: ErrorCode = ErrorCode.Unavailable,
  ) {
    super(code, message, hint, { ssh: problem, stage, ...(offer ? { hostKey: offer } : {}) })
    this.name = 'SshError'
  }
}

export function stageTimeout(stage: SshStage, where: string | Msg, ms: number, fix: string | Msg): SshError {
  return new SshError('ssh-timeout', stage, msg('conn.ssh.stageTimeout', { stage: stageLabel(stage), ms: String(ms), where }), fix, undefined, ErrorCode.Timeout)
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
