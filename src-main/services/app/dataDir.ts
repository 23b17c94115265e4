import os from 'node:os'
import path from 'node:path'

/**
 * The default data folder when the shell does not give one (Electron passes app.getPath('userData')).
 * Follows each platform's convention so users find their playgrounds and backups where they expect.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.RAFTDECK_DATA_DIR) return path.resolve(env.RAFTDECK_DATA_DIR)
  const home = os.homedir()
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Raftdeck')
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Raftdeck')
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'raftdeck')
}
