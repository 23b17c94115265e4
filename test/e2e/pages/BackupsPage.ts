/// <reference lib="dom" />
import { expect, type Locator, type Page } from '@playwright/test'

/** The Backups area: schedules, their dialog, backup files and history. */
export class BackupsPage {
  constructor(readonly page: Page) {}

  get dialog(): Locator {
    return this.page.getByTestId('schedule-dialog')
  }

  schedule(name: string): Locator {
    return this.page.getByTestId('schedule-list').locator('tr', { hasText: name })
  }

  get files(): Locator {
    return this.page.getByTestId('backup-files').locator('tbody tr')
  }

  get history(): Locator {
    return this.page.getByTestId('backup-history').locator('tbody tr')
  }

  async createSchedule(name: string, cluster: string, preset: string): Promise<void> {
    await this.page.getByTestId('schedule-new').click()
    await expect(this.dialog).toBeVisible()
    await this.dialog.getByTestId('schedule-name').locator('input').fill(name)
    await this.dialog.getByTestId('schedule-target').click()
    await this.page.locator('.n-base-select-option', { hasText: cluster }).click()
    await this.dialog.getByRole('button', { name: preset }).click()
    // Clear the default retention: keep everything until a policy is previewed.
    await this.dialog.getByTestId('keep-last').locator('input').fill('')
  }

  async runNow(name: string): Promise<void> {
    await this.schedule(name).getByTestId('schedule-run-now').click()
  }
}
