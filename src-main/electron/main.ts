// The desktop shell: builds the same services as the browser shell, serves them over IPC, and opens a
// locked-down window. Everything else lives in Electron-free modules.

import { app, BrowserWindow, ipcMain, Notification, safeStorage, session, shell } from 'electron'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServices, LogBus } from '../services'
import { createDispatcher } from '../rpc/dispatch'
import { attachIpc } from '../rpc/ipc'
import { keychainSecretBox } from './keychain'
import { failureNotice, noticeLocale } from '../services/backup/notice'

const here = path.dirname(fileURLToPath(import.meta.url))
const rendererIndex = path.join(here, '../renderer/index.html')
const devUrl = process.env.ELECTRON_RENDERER_URL

const isTrustedUrl = (url: string): boolean =>
  devUrl ? url.startsWith(devUrl) : url.startsWith('file://') && fileURLToPath(url.split(/[?#]/)[0]!) === rendererIndex

app.enableSandbox()

async function start(): Promise<void> {
  await app.whenReady()
  const log = new LogBus(5000, (e) => console.log(`${new Date(e.time).toISOString()} ${e.level} [${e.source}] ${e.message}`))
  const services = createServices({
    dataDir: app.getPath('userData'),
    shell: 'electron',
    version: app.getVersion(),
    ...(safeStorage.isEncryptionAvailable() ? { secretBox: keychainSecretBox(safeStorage) } : {}),
    log,
    // Members run as `raftdeck member` under Electron's own Node, so no separate Node is needed.
    memberCommand: { cmd: process.execPath, prefix: [path.join(here, 'cli.js')], env: { ELECTRON_RUN_AS_NODE: '1' } },
    defaultPlayground: true,
    runSchedules: true,
  })
  // A failed backup raises a desktop notification, whether or not the Backups area is open.
  const stopBackupAlerts = services.streams['backupSchedules/onEvent']({}, {
    emit: (e) => {
      if (e.kind !== 'failure' || !Notification.isSupported()) return
      // Unreadable settings: the system's language.
      void services.handlers['app/settings']({})
        .then((settings) => settings.locale, () => null)
        .then((chosen) => new Notification(failureNotice(e.run, noticeLocale(chosen, app.getLocale()))).show())
    },
    end: () => {},
  })
  const detach = attachIpc(ipcMain, createDispatcher(services, { log: log.scoped('rpc') }), {
    isTrustedUrl,
    log: log.scoped('ipc'),
  })

  // Deny every permission request (camera, notifications, …): the app needs none.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false))

  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Raftdeck',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  win.once('ready-to-show', () => win.show())
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Documentation links open in the user's browser, never inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault()
  })
  if (devUrl) await win.loadURL(devUrl)
  else await win.loadFile(rendererIndex)

  let quitting = false
  app.on('before-quit', (event) => {
    if (quitting) return
    event.preventDefault()
    quitting = true
    detach()
    stopBackupAlerts()
    void services.dispose().finally(() => app.quit())
  })
  app.on('window-all-closed', () => app.quit())
}

start().catch((err) => {
  console.error(err)
  app.exit(1)
})
