// The Activity area: this installation and the service log.
export default {
  info: {
    title: 'This installation',
    shell: 'Shell',
    electron: 'Desktop (Electron)',
    browser: 'Browser shell (raftdeck serve)',
    version: 'Version',
    dataDir: 'Data folder',
    platform: 'Platform',
    etcdBinary: 'etcd binary',
    etcdMissing: 'not found: install etcd-server or set RAFTDECK_ETCD_BINARY to use real etcd in playgrounds',
    secrets: 'Secrets',
    keychain: 'passwords are encrypted with the OS keychain',
    fileKey: 'passwords are encrypted with a key in {path} (mode 0600): the browser shell has no OS keychain, so anyone who can read your files can read them',
  },
  log: {
    title: 'Service log',
    col: { time: 'Time', level: 'Level', source: 'Source', message: 'Message' },
    level: { debug: 'debug', info: 'info', warn: 'warn', error: 'error' },
    show: { debug: 'Debug (with member logs)', info: 'Info and above', warn: 'Warnings and errors', error: 'Errors only' },
  },
}
