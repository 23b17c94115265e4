/// <reference lib="dom" />
import { expect, type Locator, type Page } from '@playwright/test'

export interface ConnectionForm {
  name: string
  endpoints: string[]
  caFile?: string
  certFile?: string
  keyFile?: string
  username?: string
  password?: string
  readOnly?: boolean
  production?: boolean
}

export interface SshHopForm {
  user: string
  host: string
  port: number
  keyFile: string
  passphrase?: string
}

/** The sidebar's connection list and the connection dialog. */
export class ConnectionsPage {
  constructor(readonly page: Page) {}

  get dialog(): Locator {
    return this.page.getByTestId('connection-dialog')
  }

  /** Waits until the sidebar has read the saved connections, so "is it there?" has a real answer. */
  async loaded(): Promise<void> {
    await expect(this.page.locator('[data-testid="sidebar-connections"][data-loaded]')).toBeAttached()
  }

  item(name: string): Locator {
    return this.page.getByTestId(`conn-item-${name}`)
  }

  async openNew(): Promise<void> {
    await this.page.getByTestId('conn-new').click()
    await expect(this.dialog).toBeVisible()
  }

  async openEdit(name: string): Promise<void> {
    await this.page.getByTestId(`conn-actions-${name}`).click()
    await this.page.getByText('Edit…', { exact: true }).click()
    await expect(this.dialog).toBeVisible()
  }

  async fill(f: Partial<ConnectionForm>): Promise<void> {
    const d = this.dialog
    if (f.name !== undefined) await d.getByTestId('conn-name').locator('input').fill(f.name)
    if (f.endpoints) {
      const inputs = d.getByTestId('conn-endpoints').locator('input')
      for (const [i, e] of f.endpoints.entries()) {
        if ((await inputs.count()) <= i) {
          // The dynamic list's "+" button after the last row adds a row.
          await d.getByTestId('conn-endpoints').locator('.n-dynamic-input-item').nth(i - 1).locator('button').last().click()
          await expect(inputs).toHaveCount(i + 1)
        }
        await inputs.nth(i).fill(e)
      }
    }
    if (f.caFile !== undefined) await d.getByTestId('conn-ca').locator('input').fill(f.caFile)
    if (f.certFile !== undefined) await d.getByTestId('conn-cert').locator('input').fill(f.certFile)
    if (f.keyFile !== undefined) await d.getByTestId('conn-key').locator('input').fill(f.keyFile)
    if (f.username !== undefined) await d.getByTestId('conn-user').locator('input').fill(f.username)
    if (f.password !== undefined) await d.getByTestId('conn-password').locator('input').fill(f.password)
    if (f.readOnly !== undefined) await d.getByTestId('conn-readonly').setChecked(f.readOnly)
    if (f.production !== undefined) await d.getByTestId('conn-production').setChecked(f.production)
  }

  /** Opens the SSH tunnel section and fills hop `index` (adding it when needed). */
  async fillSshHop(index: number, h: SshHopForm): Promise<void> {
    const d = this.dialog
    const section = d.getByTestId('ssh-section')
    if (!(await d.getByTestId('ssh-add-hop').isVisible())) await section.locator('.n-collapse-item__header').click()
    const hop = d.getByTestId(`ssh-hop-${index}`)
    if (!(await hop.isVisible())) await d.getByTestId('ssh-add-hop').click()
    await d.getByTestId(`ssh-hop-${index}-user`).locator('input').fill(h.user)
    await d.getByTestId(`ssh-hop-${index}-host`).locator('input').fill(h.host)
    await d.getByTestId(`ssh-hop-${index}-port`).locator('input').fill(String(h.port))
    await d.getByTestId(`ssh-hop-${index}-auth-key`).click()
    await d.getByTestId(`ssh-hop-${index}-key`).locator('input').fill(h.keyFile)
    if (h.passphrase !== undefined) await d.getByTestId(`ssh-hop-${index}-passphrase`).locator('input').fill(h.passphrase)
  }

  get hostKeyPrompt(): Locator {
    return this.page.getByTestId('hostkey-prompt')
  }

  async test(): Promise<Locator> {
    await this.dialog.getByTestId('conn-test').click()
    const report = this.dialog.getByTestId('doctor-report')
    await expect(report).toBeVisible()
    return report
  }

  async save(): Promise<void> {
    await this.dialog.getByTestId('conn-save').click()
    await expect(this.dialog).toBeHidden()
  }
}
