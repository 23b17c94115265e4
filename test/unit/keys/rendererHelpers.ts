// The renderer's pure helpers (src-renderer/src/stores/keysShared.ts) belong to the web TypeScript
// project, which the Node project that checks tests cannot include. Tests load them at run time through
// this small typed facade instead; vitest runs them in Node as they are (they use no DOM).
import type { BrowsePage, KeyEvent, KeyName, TreeEntry } from '../../../src-main/shared/api/keys'

export interface TreeRowLike {
  kind: 'entry' | 'more' | 'error'
  entry?: TreeEntry
  [k: string]: unknown
}

export interface TreeIndexLike {
  readonly folders: Map<string, { entries: TreeEntry[]; totalKeys: number; loadedKeys: number; cursor: string | null }>
  readonly expanded: Set<string>
  setPage(page: BrowsePage, append: boolean): unknown
  rows(): TreeRowLike[]
  applyEvents(watched: string, events: KeyEvent[], separator: string): boolean
}

interface Helpers {
  KeyTreeIndex: new (root: KeyName) => TreeIndexLike
  keyNameOf(bytes: Uint8Array): KeyName
  typedToBytes(text: string): Uint8Array
  toYaml(value: unknown): string
}

const modulePath = '../../../src-renderer/src/stores/keysShared'
export const helpers = (await import(/* @vite-ignore */ modulePath)) as Helpers
