// The open key: its value and the draft being edited, a live watch on it (a change by someone else while
// editing is flagged, never overwritten), conflicts, history, and the cluster's leases. Every write is a
// compare-and-swap against the revision the value was loaded at. Uses the tree store to show a key it
// created or renamed; the tree does not depend on this store.

import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import type { KeyEvent, KeyHistory, KeyName, LeaseInfo, ValueInput, ValueView, WriteResult } from '@shared/api/keys'
import type { Target } from '@shared/dto'
import { ErrorCode } from '@shared/errors'
import type { ApiError, Result } from '@shared/result'
import { api } from '../api'
import { t } from '../i18n'
import { noTarget, useKeyTreeStore } from './keyTree'
import { decodeB64, keyNameOf, startsWith, typedToBytes } from './keys.shared'

/** What is sent of a value before the user asks for all of it. */
const VIEW_BYTES = 256 * 1024
const ALL_BYTES = 64 * 1024 * 1024

const noConflict = () => t('keys.value.noConflict')
const noKey = (): ApiError => ({ code: ErrorCode.FailedPrecondition, message: t('keys.value.noKey') })
const refused = <T>(error: ApiError): Result<T> => ({ ok: false, error })

export const useKeyEditorStore = defineStore('keyEditor', () => {
  const tree = useKeyTreeStore()
  const target = computed<Target | null>(() => tree.target)

  /** The key shown (selected in the tree), also while its value is loading. */
  const selectedKey = ref<string | null>(null)
  const open = shallowRef<ValueView | null>(null)
  const draft = shallowRef('')
  const loadingValue = ref(false)
  const dirty = computed(() => open.value !== null && open.value.text !== null && !open.value.truncated && draft.value !== open.value.text)
  /** A change to the open key seen by the watch while the draft was being edited. */
  const remoteChange = shallowRef<KeyEvent | null>(null)
  const conflict = shallowRef<{ theirs: ValueView; yours: string } | null>(null)
  const history = shallowRef<KeyHistory | null>(null)
  const leases = ref<LeaseInfo[]>([])

  const call = api().call.bind(api())

  // ---- the open key -----------------------------------------------------------------------------

  let stopKeyWatch: (() => void) | null = null

  function watchKey(keyB64: string, fromRevision: string) {
    const t = target.value
    stopKeyWatch?.()
    stopKeyWatch = null
    if (!t) return
    stopKeyWatch = api().subscribe('keys/onWatch', { target: t, key: keyB64, prefix: false, fromRevision: String(BigInt(fromRevision) + 1n) }, (batch) => {
      const last = batch.events[batch.events.length - 1]
      if (!last || open.value?.key.b64 !== keyB64 || last.modRevision === open.value.modRevision) return
      // Not editing: follow the change. Editing: keep the draft and flag it; the save will compare.
      if (!dirty.value && !conflict.value) void openKey(keyB64)
      else remoteChange.value = last
    })
  }

  function stopWatch() {
    stopKeyWatch?.()
    stopKeyWatch = null
  }

  async function openKey(keyB64: string, opts: { all?: boolean } = {}): Promise<Result<ValueView>> {
    const t = target.value
    if (!t) return refused(noTarget())
    selectedKey.value = keyB64
    loadingValue.value = true
    const r = await call('keys/get', { target: t, key: keyB64, maxBytes: opts.all ? ALL_BYTES : VIEW_BYTES })
    loadingValue.value = false
    if (selectedKey.value !== keyB64) return r
    if (r.ok) {
      open.value = markRaw(r.value)
      draft.value = r.value.text ?? ''
      remoteChange.value = null
      conflict.value = null
      if (history.value?.key.b64 !== keyB64) history.value = null
      watchKey(keyB64, r.value.revision)
    }
    return r
  }

  function closeKey() {
    stopWatch()
    open.value = null
    selectedKey.value = null
    history.value = null
    conflict.value = null
    remoteChange.value = null
  }

  /** Shows a key in the tree (opening the folders on the way) and opens it. */
  async function showKey(key: KeyName): Promise<Result<ValueView>> {
    await tree.reveal(key)
    return openKey(key.b64)
  }

  /** After a folder was deleted: closes the open key if it was in it. */
  function closeIfUnder(prefixB64: string) {
    if (open.value && startsWith(decodeB64(open.value.key.b64), decodeB64(prefixB64))) closeKey()
  }

  async function afterWrite(r: Result<WriteResult>, keyB64: string, yours: string): Promise<Result<WriteResult>> {
    if (r.ok && r.value.status === 'conflict') conflict.value = { theirs: markRaw(r.value.theirs), yours }
    if (r.ok && r.value.status === 'ok') await openKey(keyB64)
    return r
  }

  /** Saves the draft against the revision it was loaded at; a concurrent change becomes a conflict. */
  async function save(confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return refused(noKey())
    const text = draft.value
    const r = await call('keys/put', { target: t, key: v.key.b64, value: { text }, expectModRevision: v.modRevision, ...(v.lease !== '0' ? { lease: v.lease } : {}), confirm })
    return afterWrite(r, v.key.b64, text)
  }

  /** Conflict resolution "keep mine": write the draft over their version, still as a compare-and-swap. */
  async function keepMine(confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    const c = conflict.value
    const v = open.value
    if (!t || !c || !v) return refused({ code: ErrorCode.FailedPrecondition, message: noConflict() })
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

  /** Creates a key (never overwrites one), then shows it in the tree and opens it. */
  async function create(keyText: string, value: ValueInput, lease: string | null, confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    if (!t) return refused(noTarget())
    const name = keyNameOf(typedToBytes(keyText))
    const r = await call('keys/put', { target: t, key: name.b64, value, expectModRevision: '0', ...(lease ? { lease } : {}), confirm })
    if (r.ok && r.value.status === 'ok') await showKey(name)
    return r
  }

  async function remove(confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return refused(noKey())
    const r = await call('keys/delete', { target: t, key: v.key.b64, expectModRevision: v.modRevision, confirm })
    if (r.ok && r.value.status === 'ok') closeKey()
    else if (r.ok && r.value.status === 'conflict') conflict.value = { theirs: markRaw(r.value.theirs), yours: draft.value }
    return r
  }

  async function rename(newKeyText: string, confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return refused(noKey())
    const to = keyNameOf(typedToBytes(newKeyText))
    const r = await call('keys/rename', { target: t, from: v.key.b64, to: to.b64, expectModRevision: v.modRevision, confirm })
    if (r.ok && r.value.status === 'ok') {
      closeKey()
      await showKey(to)
    }
    return r
  }

  // ---- history ----------------------------------------------------------------------------------

  async function loadHistory(): Promise<Result<KeyHistory>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return refused(noKey())
    const r = await call('keys/history', { target: t, key: v.key.b64, limit: 50 })
    if (r.ok) history.value = markRaw(r.value)
    return r
  }

  /** Restores an old version: a save of its value against the current mod revision. */
  async function restore(version: ValueView, confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return refused(noKey())
    const value: ValueInput = version.text !== null ? { text: version.text } : { b64: version.b64 ?? '' }
    const r = await call('keys/put', { target: t, key: v.key.b64, value, expectModRevision: v.modRevision, ...(v.lease !== '0' ? { lease: v.lease } : {}), confirm })
    const out = await afterWrite(r, v.key.b64, version.text ?? '')
    if (r.ok && r.value.status === 'ok') await loadHistory()
    return out
  }

  // ---- leases -----------------------------------------------------------------------------------

  async function loadLeases(): Promise<Result<LeaseInfo[]>> {
    const t = target.value
    if (!t) return refused(noTarget())
    const r = await call('keys/leases', { target: t })
    if (r.ok) leases.value = r.value
    return r
  }

  async function grantLease(ttl: number, confirm: boolean): Promise<Result<{ id: string; ttl: number }>> {
    const t = target.value
    if (!t) return refused(noTarget())
    const r = await call('keys/leaseGrant', { target: t, ttl, confirm })
    if (r.ok) await loadLeases()
    return r
  }

  async function revokeLease(id: string, confirm: boolean): Promise<Result<null>> {
    const t = target.value
    if (!t) return refused(noTarget())
    const r = await call('keys/leaseRevoke', { target: t, id, confirm })
    if (r.ok) await loadLeases()
    return r
  }

  async function attachLease(lease: string, confirm: boolean): Promise<Result<WriteResult>> {
    const t = target.value
    const v = open.value
    if (!t || !v) return refused(noKey())
    const r = await call('keys/setLease', { target: t, key: v.key.b64, lease, expectModRevision: v.modRevision, confirm })
    return afterWrite(r, v.key.b64, draft.value)
  }

  // Another cluster: nothing of this key applies any more.
  watch(target, closeKey)

  return {
    selectedKey,
    open,
    draft,
    dirty,
    loadingValue,
    remoteChange,
    conflict,
    history,
    leases,
    openKey,
    showKey,
    closeKey,
    closeIfUnder,
    stopWatch,
    save,
    keepMine,
    takeTheirs,
    create,
    remove,
    rename,
    loadHistory,
    restore,
    loadLeases,
    grantLease,
    revokeLease,
    attachLease,
  }
})

