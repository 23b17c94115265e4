/// <reference lib="dom" />
import { expect, type Locator, type Page } from '@playwright/test'

/** The playground list in the sidebar and the playground's cluster view. */
export class PlaygroundPage {
  constructor(readonly page: Page) {}

  get view(): Locator {
    return this.page.getByTestId('playground-view')
  }

  member(name: string): Locator {
    return this.page.getByTestId(`member-${name}`)
  }

  async create(name: string, members = 3, opts: { tls?: boolean } = {}): Promise<void> {
    await this.page.getByTestId('pg-new').click()
    const d = this.page.getByTestId('playground-dialog')
    await d.getByTestId('pg-name').locator('input').fill(name)
    await d.getByTestId('pg-members').locator('input').fill(String(members))
    if (opts.tls) await d.getByTestId('pg-tls').click()
    await d.getByTestId('pg-create').click()
    await expect(d).toBeHidden({ timeout: 60_000 })
    await expect(this.page.getByTestId(`pg-item-${name}`)).toHaveClass(/selected/)
    await expect(this.view).toBeVisible()
  }

  /** Names of the members whose card says they lead; waits until exactly one does. */
  async leader(): Promise<string> {
    const leaders = this.view.locator('[data-testid^="member-"]').filter({ has: this.page.getByTestId('member-role').getByText('leader', { exact: true }) })
    await expect(leaders).toHaveCount(1, { timeout: 30_000 })
    return (await leaders.getAttribute('data-testid'))!.replace('member-', '')
  }

  async followers(): Promise<string[]> {
    const cards = this.view.locator('[data-testid^="member-"]').filter({ has: this.page.getByTestId('member-role').getByText('follower', { exact: true }) })
    const ids = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!))
    return ids.map((i) => i.replace('member-', ''))
  }

  async cutLinks(member: string, optionText: string): Promise<void> {
    await this.page.getByTestId(`isolate-${member}`).click()
    await this.page.getByText(optionText, { exact: true }).click()
  }
}
