// `npm start`: installs what the app needs, builds it, and starts it: the desktop app where the
// Electron binary is available, otherwise the browser shell (whose URL it prints). Uses only Node's
// standard library, so it runs before the dependencies are installed.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status === 0

function depsInstalled() {
  const marker = path.join(root, 'node_modules', '.package-lock.json')
  return existsSync(marker) && statSync(marker).mtimeMs >= statSync(path.join(root, 'package-lock.json')).mtimeMs
}

if (!depsInstalled()) {
  console.log('Installing dependencies…')
  if (!run(npm, ['ci', '--no-audit', '--no-fund'])) process.exit(1)
}
console.log('Building…')
if (!run(npm, ['run', 'build', '--silent'])) process.exit(1)

function electronBinary() {
  const pkg = path.join(root, 'node_modules', 'electron')
  const pathTxt = path.join(pkg, 'path.txt')
  if (!existsSync(pathTxt)) return null
  const bin = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkg, 'dist'), readFileSync(pathTxt, 'utf8').trim())
  return existsSync(bin) ? bin : null
}

let electron = electronBinary()
if (!electron && !process.env.RAFTDECK_BROWSER) {
  // Electron 42+ downloads its binary on first use; on machines that reach only a package registry
  // this fails quickly, and the browser shell is the way in.
  console.log('Fetching the Electron binary (first run only)…')
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron', 'install.js')], { cwd: root, encoding: 'utf8', timeout: 180_000 })
  electron = electronBinary()
  if (!electron) {
    const why = `${r.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l)) ?? 'no binary after the download'
    console.log(`The Electron download did not work here (${why.trim()}).`)
  }
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
let child
if (electron && hasDisplay && !process.env.RAFTDECK_BROWSER) {
  console.log('Starting the Raftdeck desktop app…')
  child = spawn(electron, [path.join(root, 'out', 'main', 'index.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
} else {
  const why = !electron ? 'the Electron binary is not available on this machine' : !hasDisplay ? 'there is no display' : 'RAFTDECK_BROWSER is set'
  console.log(`Starting the browser shell, because ${why}. Open the URL below in a browser on this machine.`)
  child = spawn(process.execPath, [path.join(root, 'out', 'main', 'cli.js'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig))
child.on('exit', (code) => process.exit(code ?? 0))
