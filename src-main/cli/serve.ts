// `raftdeck serve`: the browser shell. Runs the same services as the desktop app and serves the UI and
// its API on loopback, for headless machines and for the end-to-end tests.

import { existsSync } from 'node:fs'
import path from 'node:path'
import { createServices } from '../services'
import { defaultDataDir } from '../services/app/dataDir'
import { createDispatcher } from '../rpc/dispatch'
import { startWebHost } from '../rpc/webHost'
import { stderrLog, UsageError, type Command } from './command'
import { packageRoot, packageVersion } from '../services/app/packageRoot'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run Raftdeck in your browser: serves the UI and its API on 127.0.0.1 with a per-run access token.',
  usage: 'raftdeck serve [--port PORT] [--data-dir DIR]',
  options: {
    port: { type: 'string', value: 'PORT', default: '0', description: 'Port to listen on; 0 picks a free one.' },
    host: { type: 'string', value: 'ADDR', default: '127.0.0.1', description: 'Address to listen on. Anything but loopback needs --allow-remote.' },
    'allow-remote': { type: 'boolean', description: 'Allow listening on a non-loopback address (anyone with the URL can manage your clusters).' },
    'data-dir': { type: 'string', value: 'DIR', description: 'Where playgrounds, profiles and backups live (default: the platform data folder, or $RAFTDECK_DATA_DIR).' },
    token: { type: 'string', value: 'TOKEN', description: 'Use this access token instead of a random one (for scripts).' },
    'renderer-dir': { type: 'string', value: 'DIR', description: 'Serve the UI from this folder instead of the built out/renderer.' },
    'no-default-playground': { type: 'boolean', description: 'Do not create the 3-member "local" playground on first start.' },
  },
  async run(values) {
    const port = Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got '${String(values.port)}'`)
    const host = String(values.host)
    if (!LOOPBACK.has(host) && !values['allow-remote'])
      throw new UsageError(`refusing to listen on ${host}: only loopback is allowed by default`, 'Add --allow-remote if you really want other machines to reach Raftdeck.')
    if (typeof values.token === 'string' && values.token.length < 16) throw new UsageError('--token must be at least 16 characters')
    const rendererDir = typeof values['renderer-dir'] === 'string' ? path.resolve(values['renderer-dir']) : path.join(packageRoot(), 'out', 'renderer')
    if (!existsSync(path.join(rendererDir, 'index.html')))
      throw new UsageError(`the UI is not built (no ${path.join(rendererDir, 'index.html')})`, "Run 'npm run build' first.")

    const log = stderrLog()
    const dataDir = typeof values['data-dir'] === 'string' ? path.resolve(values['data-dir']) : defaultDataDir()
    const services = createServices({
      dataDir,
      shell: 'browser',
      version: packageVersion(),
      log,
      defaultPlayground: !values['no-default-playground'],
      runSchedules: true,
    })
    const dispatcher = createDispatcher(services, { log: log.scoped('rpc') })
    const host_ = await startWebHost({
      dispatcher,
      rendererDir,
      host: host === 'localhost' ? '127.0.0.1' : host,
      port,
      ...(typeof values.token === 'string' ? { token: values.token } : {}),
      log: log.scoped('web'),
    })
    process.stdout.write(`Raftdeck is serving at ${host_.url}\n`)

    return new Promise<number>((resolve) => {
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        log.scoped('app').info(`${signal}: stopping`)
        void Promise.allSettled([host_.close(), services.dispose()]).then(() => resolve(0))
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
    })
  },
}
