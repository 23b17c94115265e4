// Secrets at rest (connection passwords). The desktop shell seals them with the OS keychain (Electron
// safeStorage, injected from src-main/electron). Elsewhere, they are sealed with AES-256-GCM under a
// random key kept in its own 0600 file: not a keychain, but no secret is ever written in plain text and
// a copied profile file alone reveals nothing. The UI says which of the two is in use.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { AppError, ErrorCode, msg } from '../shared'

export interface SecretBox {
  readonly kind: 'os-keychain' | 'file-key'
  seal(plain: string): string
  open(sealed: string): string
}

const PREFIX = 'v1:'

export function fileKeySecretBox(dataDir: string): SecretBox {
  const keyFile = path.join(dataDir, 'secret.key')
  let key: Buffer | null = null
  const getKey = () => {
    if (key) return key
    if (!existsSync(keyFile)) {
      try {
        // 'wx': never overwrite a key another process created meanwhile.
        writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
    }
    key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')
    if (key.length !== 32) throw new AppError(ErrorCode.Internal, msg('conn.secret.keyDamaged', { file: keyFile }), msg('conn.secret.keyDamagedHint'))
    return key
  }
  return {
    kind: 'file-key',
    seal(plain) {
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', getKey(), iv)
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()])
      return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new AppError(ErrorCode.Internal, msg('conn.secret.unknownFormat'), msg('conn.secret.enterAgain'))
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64')
      const d = createDecipheriv('aes-256-gcm', getKey(), raw.subarray(0, 12))
      d.setAuthTag(raw.subarray(12, 28))
      try {
        return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')
      } catch {
        throw new AppError(ErrorCode.Internal, msg('conn.secret.cannotDecrypt'), msg('conn.secret.enterAgain'))
      }
    },
  }
}
