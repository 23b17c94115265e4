import type { SafeStorage } from 'electron'
import type { SecretBox } from '../services'

/** Secrets sealed by the OS keychain (macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux). */
export function keychainSecretBox(safeStorage: SafeStorage): SecretBox {
  return {
    kind: 'os-keychain',
    seal: (plain) => `os1:${safeStorage.encryptString(plain).toString('base64')}`,
    open: (sealed) => safeStorage.decryptString(Buffer.from(sealed.replace(/^os1:/, ''), 'base64')),
  }
}
