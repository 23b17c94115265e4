// Checks for the zh-CN specs: which Latin words in a part of the window are untranslated English, and
// switching the UI's language from the sidebar. Each area's zh-CN spec imports these.
import type { Locator, Page } from '@playwright/test'

export const KEPT = new Set(
  `etcd etcdctl Raftdeck raftdeck leader follower learner candidate pre-candidate pre-vote term index raft Raft TLS
  Leader Follower Candidate Pre-candidate Learner Match Next commit applied revision DB pid SIGKILL SIGSTOP SIGCONT SIGTERM
  TypeScript snapshot ReadIndex JSON endpoint endpoints CheckQuorum kB MB GB fsync replicate probe MemberRemove https http playground Playground
  SHA-256 bbolt HashKV NFS UTC`.split(/\s+/),
)

const KEPT_LOWER = new Set([...KEPT].map((w) => w.toLowerCase()))

/**
 * The Latin words of a text, as the zh-CN checks see them: a word starts where a token starts, so the
 * letters at the end of an ID (the "ca" of "rehearsal 0843ca") are not a word; paths are left out.
 */
export const latinWords = (text: string): string[] => text.replace(/\/\S+/g, ' ').match(/(?<![A-Za-z0-9_])(?:[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z])/g) ?? []

/** Latin words in the element's visible text that are not etcd terms, names the user gave, or numbers. */
export async function untranslated(el: Locator, names: string[]): Promise<string[]> {
  const text = await el.innerText()
  // Names of the playgrounds and connections (other specs' too): the user's words, not ours.
  const given = await el.page().evaluate(() =>
    [...document.querySelectorAll('[data-testid^="pg-item-"], [data-testid^="conn-item-"]')].map((e) => e.getAttribute('data-testid')!.replace(/^(pg|conn)-item-/, '')),
  )
  names = [...names, ...given.flatMap((n) => n.split(/\s+/))]
  const words = latinWords(text)
  return [...new Set(words.filter((w) => !KEPT_LOWER.has(w.toLowerCase()) && !names.includes(w) && !/^n\d+$/.test(w) && !/^[0-9a-f]*[0-9][0-9a-f]*$/.test(w)))]
}

export async function chooseLanguage(page: Page, name: string) {
  await page.getByTestId('language-menu').click()
  await page.getByText(name, { exact: true }).click()
}
