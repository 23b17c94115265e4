/// <reference lib="dom" />
import { expect, type Locator, type Page } from '@playwright/test'
import path from 'node:path'

export type Area = 'cluster' | 'keys' | 'backups' | 'restore' | 'activity'

/** The frame around every feature: sidebar, area tabs, status bar, theme. */
export class AppShell {
  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
    readonly shell: 'browser' | 'electron',
  ) {}

  get sidebar(): Locator {
    return this.page.getByTestId('sidebar')
  }

  get linkState(): Locator {
    return this.page.getByTestId('link-state')
  }

  async open(area: Area): Promise<void> {
    await this.page.getByTestId(`area-${area}`).click()
    await expect(this.page.getByTestId(`area-${area}`)).toHaveClass(/active/)
    await expect(this.page).toHaveURL(new RegExp(`#/${area}$`))
  }

  async toggleTheme(): Promise<void> {
    await this.page.getByTestId('theme-toggle').click()
  }

  async isDark(): Promise<boolean> {
    return this.page.evaluate(() => document.documentElement.classList.contains('dark'))
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(this.screenshotDir, `${this.shell}-${name}.png`) })
  }
}
