// A user creates a "TLS everywhere" playground, sees where its certificates are, saves it as a
// connection from the playground view (the connection dialog comes filled in), tests it, and reads
// a key through the saved TLS connection.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { test, expect } from './fixtures'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { PlaygroundPage } from './pages/PlaygroundPage'

const run = promisify(execFile)

test('a TLS everywhere playground, saved and tested as a connection', async ({ app }, info) => {
  test.setTimeout(180_000)
  const pg = new PlaygroundPage(app.page)
  const name = `tls-${info.project.name}`
  await pg.create(name, 3, { tls: true })
  await expect(app.page.getByTestId('pg-tls-tag')).toBeVisible()
  await pg.leader()
  await expect(app.page.getByTestId('pg-tls-files')).toContainText('client-key.pem')
  const command = await app.page.getByTestId('pg-etcdctl').locator('input').inputValue()
  expect(command).toMatch(/--cacert=\S+ca\.pem --cert=\S+client\.pem --key=\S+client-key\.pem/)
  await app.screenshot('tls-playground')

  // The copied etcdctl command works as it is (with a put instead of endpoint status).
  const flags = command.replace(/^etcdctl /, '').replace(/ endpoint status -w table$/, '').split(' ')
  await run('/usr/bin/etcdctl', [...flags, 'put', '/tls-e2e', 'over-tls'], { env: { ...process.env, ETCDCTL_API: '3' } })

  await app.page.getByTestId('pg-save-connection').click()
  const conns = new ConnectionsPage(app.page)
  await expect(conns.dialog).toBeVisible()
  await expect(conns.dialog.getByTestId('conn-name').locator('input')).toHaveValue(name)
  await expect(conns.dialog.getByTestId('conn-endpoints').locator('input').first()).toHaveValue(/^https:\/\/127\.0\.0\.1:\d+$/)
  await expect(conns.dialog.getByTestId('conn-cert').locator('input')).toHaveValue(/client\.pem$/)
  const report = await conns.test()
  await expect(report).toContainText('etcd 3.4.23 answered')
  await app.screenshot('tls-playground-connection')
  await conns.save()
  await expect(conns.item(name)).toContainText('TLS')
})
