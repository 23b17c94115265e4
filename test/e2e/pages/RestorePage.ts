/// <reference lib="dom" />
import { expect, type Locator, type Page } from '@playwright/test'

/** The Restore area: the guided restore wizard, the playground restore and the procedure linter. */
export class RestorePage {
  constructor(readonly page: Page) {}

  get wizard(): Locator {
    return this.page.getByTestId('restore-wizard')
  }

  step(name: 'target' | 'snapshot' | 'impact' | 'plan' | 'rehearse' | 'verify'): Locator {
    return this.page.getByTestId(`wizard-${name}`)
  }

  async next(expected: string): Promise<void> {
    await this.page.getByTestId('wizard-next').click()
    await expect(this.step(expected as 'target')).toBeVisible()
  }

  row(i: number): Locator {
    return this.page.getByTestId(`target-row-${i}`)
  }

  async chooseConnection(label: string): Promise<void> {
    await this.page.getByTestId('target-connection').click()
    // The menu is a virtual list: an option below the fold is not in the page until the list scrolls to
    // it (a full run has a dozen connections from other specs), so walk down with the keyboard.
    const option = this.page.locator('.n-base-select-option').filter({ hasText: label }).first()
    for (let i = 0; i < 100 && !(await option.isVisible()); i++) await this.page.keyboard.press('ArrowDown')
    await option.click()
  }

  async setField(i: number, field: 'member-name' | 'member-peer' | 'member-client' | 'member-datadir' | 'member-unit', value: string): Promise<void> {
    await this.row(i).getByTestId(field).locator('input').fill(value)
  }

  async inspect(file: string): Promise<void> {
    await this.page.getByTestId('restore-file').locator('input').fill(file)
    await this.page.getByTestId('restore-inspect').click()
  }

  /** Deletes a playground from the sidebar (its members stop, its data goes). */
  async deletePlayground(name: string): Promise<void> {
    await this.page.getByTestId(`pg-actions-${name}`).click()
    await this.page.getByText('Delete…', { exact: true }).click()
    await this.page.locator('.n-dialog').getByRole('button', { name: 'Delete' }).click()
    await expect(this.page.getByTestId(`pg-item-${name}`)).toHaveCount(0)
  }

  async tab(name: 'Restore a cluster' | 'Into a new playground' | 'Check a procedure'): Promise<void> {
    await this.page.locator('.n-tabs-tab', { hasText: name }).click()
  }
}
