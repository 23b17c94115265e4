// The key editor's state: the loaded part of the tree (a flat index outside deep reactivity, see
// keysShared.ts), the open key with its draft, conflicts, history, leases and the live watches. Every
// call to the services goes through here.

import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import type { ImportPlan, KeyEvent, KeyHistory, KeyName, LeaseInfo, SearchResult, ValueInput, ValueView, WriteResult } from '@shared/api/keys'
import type { Target } from '@shared/dto'
import type { ApiError, Result } from '@shared/result'
import { api } from '../api'
import { useTargetsStore } from './targets'
import { decodeB64, encodeB64, KeyTreeIndex, keyNameOf, parentFolders, typedToBytes, type TreeRow } from './keysShared'

const PAGE_SIZE = 500
/** What is sent of a value before the user asks for all of it. */
const VIEW_BYTES = 256 * 1024
const ALL_BYTES = 64 * 1024 * 1024

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export const useKeysStore = defineStore('keys', () => {
  const targets = useTargetsStore()
  const target = computed<Target | null>(() => targets.selected)
  const separator = ref('/')

  const index = shallowRef<KeyTreeIndex | null>(null)
  /** Bumped whenever the index changes; the index itself is not reactive. */
  const treeVersion = ref(0)
  const rows = computed<TreeRow[]>(() => {
    void treeVersion.value
    return index.value ? markRaw(index.value.rows()) : []
  })
  const rootError = ref<ApiError | null>(null)
  const selectedKey = ref<string | null>(null)
  /** The folder whose changes are watched (the last one opened). */
  const watchedFolder = ref<string | null>(null)
  /** Why live updates stopped, when they did. */
  const liveError = ref<string | null>(null)

  const open = shallowRef<ValueView | null>(null)
  const draft = shallowRef('')
  const loadingValue = ref(false)
  const dirty = computed(() => open.value !== null && open.value.text !== null && !open.value.truncated && draft.value !== open.value.text)
  /** A change to the open key seen by the watch while the draft was being edited. */
  const remoteChange = shallowRef<KeyEvent | null>(null)
  const conflict = shallowRef<{ theirs: ValueView; yours: string } | null>(null)
  const history = shallowRef<KeyHistory | null>(null)
  const leases = ref<LeaseInfo[]>([])
  const searchResult = shallowRef<SearchResult | null>(null)

  const touch = () => treeVersion.value++
  const call = api().call.bind(api())
  const toOutcome = <T>(r: Result<T>): Outcome<T> => r

  // ---- tree -----------------------------------------------------------------------------------

  async function loadRoot(): Promise<void> {
    stopWatches()
    open.value = null
    history.value = null
    searchResult.value = null
    rootError.value = null
    selectedKey.value = null
    const t = target.value
    if (!t) {
      index.value = null
      return
    }
    const root = keyNameOf(new Uint8Array())
    const idx = markRaw(new KeyTreeIndex(root))
    const r = await call('keys/browse', { target: t, prefix: '', separator: separator.value, pageSize: PAGE_SIZE })
    if (target.value !== t) return
    if (!r.ok) {
      rootError.value = r.error
      index.value = null
      return
    }
    idx.setPage(r.value, false)
    index.value = idx
    // Kubernetes-style key spaces start with one "/" folder: open it right away.
    const only = r.value.entries.length === 1 ? r.value.entries[0] : undefined
    if (only?.folder) await expand(only.key.b64)
    else watchFolder('')
    touch()
  }

  async function loadFolder(prefixB64: string, append: boolean): Promise<void> {
    const idx = index.value
    const t = target.value
    if (!idx || !t) return
    const cur = idx.folders.get(prefixB64)
    if (cur) {
      cur.loading = true
      touch()
    } else {
      idx.folders.set(prefixB64, { prefix: keyNameOf(decodeB64(prefixB64)), entries: [], cursor: null, revision: '', totalKeys: 0, loadedKeys: 0, loading: true, error: null })
      touch()
    }
    const r = await call('keys/browse', {
      target: t,
      prefix: prefixB64,
      separator: separator.value,
      pageSize: PAGE_SIZE,
      ...(append && cur?.cursor ? { cursor: cur.cursor, revision: cur.revision } : {}),
    })
    if (index.value !== idx) return
    if (!r.ok) {
      const f = idx.folders.get(prefixB64)!
      f.loading = false
      // A pinned revision that got compacted: start the folder again at the current revision.
      if (append && r.error.details?.etcd === 'compacted') {
        await loadFolder(prefixB64, false)
        return
      }
      f.error = `${r.error.message}${r.error.hint ? ` ${r.error.hint}` : ''}`
    } else idx.setPage(r.value, append)
    touch()
  }

  async function expand(prefixB64: string): Promise<void> {
    const idx = index.value
    if (!idx) return
    idx.expanded.add(prefixB64)
    touch()
    if (!idx.folders.has(prefixB64) || idx.folders.get(prefixB64)!.error) await loadFolder(prefixB64, false)
    // After the load: the watch starts right after the revision the folder was read at, so nothing is missed.
    watchFolder(prefixB64)
  }

  function collapse(prefixB64: string): void {
    index.value?.expanded.delete(prefixB64)
    touch()
  }

  function toggle(prefixB64: string): Promise<void> | void {
    return index.value?.expanded.has(prefixB64) ? collapse(prefixB64) : expand(prefixB64)
  }

  const loadMore = (prefixB64: string) => loadFolder(prefixB64, true)

  /** Opens the folders down to a key (loading pages until the child shows up), then the key itself. */
  async function reveal(key: KeyName): Promise<void> {
    const idx = index.value
    if (idx) {
      for (const folder of parentFolders(key.display, separator.value)) {
        const id = encodeB64(typedToBytes(folder))
        const parent = [...idx.folders.values()].find((f) => f.entries.some((e) => e.folder && e.key.b64 === id))
        if (!parent) break
        await expand(id)
      }
      // The key may sit beyond the first page of its folder.
      const folderId = encodeB64(typedToBytes(parentFolders(key.display, separator.value).pop() ?? ''))
      for (let i = 0; i < 50; i++) {
        const f = idx.folders.get(folderId)
        if (!f || f.entries.some((e) => e.key.b64 === key.b64) || !f.cursor) break
        await loadMore(folderId)
      }
    }
    await openKey(key.b64)
  }

  // ---- live updates -----------------------------------------------------------------------------

  let stopFolderWatch: (() => void) | null = null
  let stopKeyWatch: (() => void) | null = null

  function watchFolder(prefixB64: string) {
    const t = target.value
    if (!t || watchedFolder.value === prefixB64) return
    stopFolderWatch?.()
    watchedFolder.value = prefixB64
    const folder = index.value?.folders.get(prefixB64)
    liveError.value = null
    stopFolderWatch = api().subscribe(
      'keys/onWatch',
      { target: t, key: prefixB64, prefix: true, ...(folder?.revision ? { fromRevision: String(BigInt(folder.revision) + 1n) } : {}) },
      (batch) => {
        if (index.value?.applyEvents(prefixB64, batch.events, separator.value)) touch()
      },
      (err) => {
        // The services ended the watch (compaction, lost connection): say so; Refresh starts a new one.
        if (watchedFolder.value !== prefixB64) return
        watchedFolder.value = null
        liveError.value = err?.message ?? 'The live watch ended.'
      },
    )
  }

  function watchKey(keyB64: string, fromRevision: string) {
    const t = target.value
    stopKeyWatch?.()
    stopKeyWatch = null
    if (!t) return
    stopKeyWatch = api().subscribe('keys/onWatch', { target: t, key: keyB64, prefix: false, fromRevision: String(BigInt(fromRevision) + 1n) }, (batch) => {
      const last = batch.events[batch.events.length - 1]
      if (!last || open.value?.key.b64 !== keyB64 || last.modRevision === open.value.modRevision) return
      // Not editing: follow the change. Editing: keep the draft and flag it; the save will compare.
      if (!dirty.value && !conflict.value) void openKey(keyB64, { keepSelection: true })
      else remoteChange.value = last
    })
  }

  function stopWatches() {
    stopFolderWatch?.()
    stopKeyWatch?.()
    stopFolderWatch = stopKeyWatch = null
    watchedFolder.value = null
  }

  // ---- values -----------------------------------------------------------------------------------

  async function openKey(keyB64: string, opts: { all?: boolean; keepSelection?: boolean } = {}): Promise<Outcome<ValueView>> {
    const t = target.value
    if (!t) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No cluster selected.' } }
    selectedKey.value = keyB64
    loadingValue.value = true
    const r = await call('keys/get', { target: t, key: keyB64, maxBytes: opts.all ? ALL_BYTES : VIEW_BYTES })
    loadingValue.value = false
    if (selectedKey.value !== keyB64) return toOutcome(r)
    if (r.ok) {
      open.value = markRaw(r.value)
      draft.value = r.value.text ?? ''
      remoteChange.value = null
      conflict.value = null
      if (history.value?.key.b64 !== keyB64) history.value = null
      watchKey(keyB64, r.value.revision)
    }
    return toOutcome(r)
  }

  function closeKey() {
    stopKeyWatch?.()
    stopKeyWatch = null
    open.value = null
    selectedKey.value = null
    history.value = null
    conflict.value = null
    remoteChange.value = null
  }

  async function afterWrite(r: Result<WriteResult>, keyB64: string, yours: string): Promise<Outcome<WriteResult>> {
    if (r.ok && r.value.status === 'conflict') conflict.value = { theirs: markRaw(r.value.theirs), yours }
    if (r.ok && r.value.status === 'ok') await openKey(keyB64, { keepSelection: true })
    return toOutcome(r)
  }

  /** Saves the draft against the revision it was loaded at; a concurrent change becomes a conflict. */
  async function save(confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No key is open.' } }
    const text = draft.value
    const r = await call('keys/put', { target: t, key: v.key.b64, value: { text }, expectModRevision: v.modRevision, ...(v.lease !== '0' ? { lease: v.lease } : {}), confirm })
    return afterWrite(r, v.key.b64, text)
  }

  /** Conflict resolution "keep mine": write the draft over their version, still as a compare-and-swap. */
  async function keepMine(confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    const c = conflict.value
    const v = open.value
    if (!t || !c || !v) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No conflict to resolve.' } }
    conflict.value = null
    const r = await call('keys/put', { target: t, key: v.key.b64, value: { text: c.yours }, expectModRevision: c.theirs.modRevision, ...(c.theirs.lease !== '0' ? { lease: c.theirs.lease } : {}), confirm })
    return afterWrite(r, v.key.b64, c.yours)
  }

  function takeTheirs() {
    const c = conflict.value
    if (!c) return
    conflict.value = null
    open.value = markRaw(c.theirs)
    draft.value = c.theirs.text ?? ''
    remoteChange.value = null
  }

  async function create(keyText: string, value: ValueInput, lease: string | null, confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    if (!t) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No cluster selected.' } }
    const keyB64 = encodeB64(typedToBytes(keyText))
    const r = await call('keys/put', { target: t, key: keyB64, value, expectModRevision: '0', ...(lease ? { lease } : {}), confirm })
    if (r.ok && r.value.status === 'ok') await reveal(keyNameOf(decodeB64(keyB64)))
    return toOutcome(r)
  }

  async function remove(confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No key is open.' } }
    const r = await call('keys/delete', { target: t, key: v.key.b64, expectModRevision: v.modRevision, confirm })
    if (r.ok && r.value.status === 'ok') closeKey()
    else if (r.ok && r.value.status === 'conflict') conflict.value = { theirs: markRaw(r.value.theirs), yours: draft.value }
    return toOutcome(r)
  }

  async function rename(newKeyText: string, confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No key is open.' } }
    const to = encodeB64(typedToBytes(newKeyText))
    const r = await call('keys/rename', { target: t, from: v.key.b64, to, expectModRevision: v.modRevision, confirm })
    if (r.ok && r.value.status === 'ok') {
      closeKey()
      await reveal(keyNameOf(decodeB64(to)))
    }
    return toOutcome(r)
  }

  async function countPrefix(prefixB64: string) {
    const t = target.value
    if (!t) return null
    return call('keys/count', { target: t, prefix: prefixB64 })
  }

  async function deletePrefix(prefixB64: string, typed: string, expectCount: number, revision: string, confirm: boolean) {
    const t = target.value
    if (!t) return null
    const r = await call('keys/deletePrefix', { target: t, prefix: prefixB64, typedPrefix: typed, expectCount, revision, confirm })
    if (r.ok) {
      if (open.value && decodeB64(open.value.key.b64).length >= decodeB64(prefixB64).length && open.value.key.display.startsWith(keyNameOf(decodeB64(prefixB64)).display)) closeKey()
      await loadRoot()
    }
    return r
  }

  // ---- history, leases, search, transfer --------------------------------------------------------

  async function loadHistory(): Promise<Outcome<KeyHistory> | null> {
    const t = target.value
    const v = open.value
    if (!t || !v) return null
    const r = await call('keys/history', { target: t, key: v.key.b64, limit: 50 })
    if (r.ok) history.value = markRaw(r.value)
    return toOutcome(r)
  }

  /** Restores an old version: a save of its value against the current mod revision. */
  async function restore(version: ValueView, confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No key is open.' } }
    const value: ValueInput = version.text !== null ? { text: version.text } : { b64: version.b64 ?? '' }
    const r = await call('keys/put', { target: t, key: v.key.b64, value, expectModRevision: v.modRevision, ...(v.lease !== '0' ? { lease: v.lease } : {}), confirm })
    const out = await afterWrite(r, v.key.b64, version.text ?? '')
    if (r.ok && r.value.status === 'ok') await loadHistory()
    return out
  }

  async function loadLeases() {
    const t = target.value
    if (!t) return null
    const r = await call('keys/leases', { target: t })
    if (r.ok) leases.value = r.value
    return r
  }

  async function grantLease(ttl: number, confirm: boolean) {
    const t = target.value
    if (!t) return null
    const r = await call('keys/leaseGrant', { target: t, ttl, confirm })
    if (r.ok) await loadLeases()
    return r
  }

  async function revokeLease(id: string, confirm: boolean) {
    const t = target.value
    if (!t) return null
    const r = await call('keys/leaseRevoke', { target: t, id, confirm })
    if (r.ok) await loadLeases()
    return r
  }

  async function attachLease(lease: string, confirm: boolean): Promise<Outcome<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return { ok: false, error: { code: 'FAILED_PRECONDITION', message: 'No key is open.' } }
    const r = await call('keys/setLease', { target: t, key: v.key.b64, lease, expectModRevision: v.modRevision, confirm })
    return afterWrite(r, v.key.b64, draft.value)
  }

  async function search(query: string) {
    const t = target.value
    if (!t || !query) {
      searchResult.value = null
      return null
    }
    const r = await call('keys/search', { target: t, query, limit: 200 })
    if (r.ok) searchResult.value = markRaw(r.value)
    return r
  }

  async function exportPrefix(prefixB64: string) {
    const t = target.value
    if (!t) return null
    return call('keys/export', { target: t, prefix: prefixB64 })
  }

  async function planImport(file: string): Promise<Result<ImportPlan> | null> {
    const t = target.value
    if (!t) return null
    return call('keys/importPlan', { target: t, file })
  }

  async function applyImport(file: string, planRevision: string, confirm: boolean) {
    const t = target.value
    if (!t) return null
    const r = await call('keys/import', { target: t, file, planRevision, confirm })
    if (r.ok) await loadRoot()
    return r
  }

  watch(target, () => void loadRoot())

  return {
    target,
    separator,
    index,
    rows,
    treeVersion,
    rootError,
    selectedKey,
    watchedFolder,
    liveError,
    open,
    draft,
    dirty,
    loadingValue,
    remoteChange,
    conflict,
    history,
    leases,
    searchResult,
    loadRoot,
    expand,
    collapse,
    toggle,
    loadMore,
    reveal,
    openKey,
    closeKey,
    save,
    keepMine,
    takeTheirs,
    create,
    remove,
    rename,
    countPrefix,
    deletePrefix,
    loadHistory,
    restore,
    loadLeases,
    grantLease,
    revokeLease,
    attachLease,
    search,
    exportPrefix,
    planImport,
    applyImport,
    stopWatches,
  }
})
