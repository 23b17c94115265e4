/// <reference lib="dom" />
import { expect, type Locator, type Page } from '@playwright/test'

/** The key editor: tree, search, value editor and its dialogs. */
export class KeysPage {
  constructor(readonly page: Page) {}

  get view(): Locator {
    return this.page.getByTestId('keys-view')
  }
  get tree(): Locator {
    return this.page.getByTestId('key-tree')
  }
  get editor(): Locator {
    return this.page.getByTestId('value-editor')
  }
  get summary(): Locator {
    return this.page.getByTestId('tree-summary')
  }

  folder(display: string): Locator {
    return this.tree.locator(`[data-testid="tree-folder"][data-key="${display}"]`)
  }
  key(display: string): Locator {
    return this.tree.locator(`[data-testid="tree-key"][data-key="${display.replace(/\\/g, '\\\\')}"]`)
  }

  /** Expands each folder on the way (e.g. '/registry/', '/registry/pods/'). */
  async expand(...folders: string[]): Promise<void> {
    for (const f of folders) {
      const row = this.folder(f)
      await expect(row).toBeVisible()
      if ((await row.locator('.chev').textContent()) === '▸') await row.click()
      await expect(row.locator('.chev')).toHaveText('▾')
    }
  }

  /** Scrolls the virtual list down a screen at a time until `target` is rendered (rows outside the view are not in the DOM). */
  async scrollTreeTo(target: Locator, maxScreens = 200): Promise<void> {
    await this.scrollTreeBy(null)
    for (let i = 0; i < maxScreens; i++) {
      if (await target.isVisible()) return
      await this.scrollTreeBy(-56)
    }
    await expect(target).toBeVisible()
  }

  /**
   * Scrolls the virtual tree (to the top for null, else down a screen less `overlap` pixels) and waits
   * until the rows in the DOM cover the new viewport. The list renders on the scroll event, a frame
   * later: checking a row's visibility before that would skip rows under load.
   */
  private async scrollTreeBy(overlap: number | null): Promise<void> {
    await this.tree.evaluate(async (el, overlapPx) => {
      el.scrollTop = overlapPx === null ? 0 : el.scrollTop + el.clientHeight + overlapPx
      const covered = () => {
        const tops = [...el.querySelectorAll<HTMLElement>('[role=treeitem]')].map((r) => r.offsetTop)
        if (tops.length === 0) return true
        const viewBottom = Math.min(el.scrollTop + el.clientHeight, el.scrollHeight) - 1
        return Math.min(...tops) <= el.scrollTop && Math.max(...tops) + 28 >= viewBottom
      }
      for (let frames = 0; frames < 600 && !covered(); frames++) await new Promise((r) => requestAnimationFrame(r))
    }, overlap)
  }

  /** The data-key of the row the keyboard is on (the tree's aria-activedescendant). */
  async activeRow(): Promise<string | null> {
    return this.tree.evaluate((el) => {
      const id = el.getAttribute('aria-activedescendant')
      return id ? (document.getElementById(id)?.getAttribute('data-key') ?? null) : null
    })
  }

  /** Presses keys with the tree focused, one after the other. */
  async press(...keys: string[]): Promise<void> {
    for (const k of keys) await this.tree.press(k)
  }

  async openKey(display: string): Promise<void> {
    if (!(await this.key(display).isVisible())) await this.scrollTreeTo(this.key(display))
    await this.key(display).click()
    await expect(this.editor.getByTestId('open-key')).toHaveText(display)
  }

  async search(query: string): Promise<Locator> {
    await this.page.getByTestId('key-search').locator('input').fill(query)
    const results = this.page.getByTestId('search-results')
    await expect(results).toBeVisible()
    return results
  }

  /** Replaces the editor's text the way a user would: select all, type. */
  async setValue(text: string): Promise<void> {
    const content = this.editor.getByTestId('value-code').locator('.cm-content')
    await content.click()
    await this.page.keyboard.press('ControlOrMeta+a')
    await this.page.keyboard.insertText(text)
  }

  async valueText(): Promise<string> {
    return (await this.editor.locator('.cm-content').first().innerText()).replace(/\u00a0/g, ' ')
  }

  async save(): Promise<void> {
    await this.editor.getByTestId('value-save').click()
  }
}
