// A leader's commit-only appends wait briefly for the next append to carry them; nothing else is
// held, and each follower still gets its messages in Raft's order.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CommitNotices } from '../../../src-main/member/server/commitNotices'
import { EntryType, MessageType, makeMessage, type Message } from '../../../src-main/raft/index'

const entry = (index: number, term = 2) => ({ term, index, type: EntryType.Normal, data: new Uint8Array([index]) })
const notice = (to: string, commit: number, term = 2): Message =>
  makeMessage({ type: MessageType.App, to, from: '1', term, index: commit, logTerm: term, commit })
const append = (to: string, index: number, commit: number, term = 2): Message =>
  makeMessage({ type: MessageType.App, to, from: '1', term, index: index - 1, logTerm: term, entries: [entry(index, term)], commit })
const heartbeat = (to: string, commit: number): Message => makeMessage({ type: MessageType.Heartbeat, to, from: '1', term: 2, commit })

describe('CommitNotices', () => {
  let sent: Message[][]
  let notices: CommitNotices
  beforeEach(() => {
    vi.useFakeTimers()
    sent = []
    notices = new CommitNotices((ms) => void sent.push(ms), 2)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('holds a commit-only append and sends it when no append comes to carry it', () => {
    expect(notices.route([notice('2', 5), notice('3', 5)])).toEqual([])
    expect(notices.size).toBe(2)
    vi.advanceTimersByTime(1)
    expect(sent).toEqual([])
    vi.advanceTimersByTime(1)
    expect(sent).toEqual([[notice('2', 5), notice('3', 5)]])
    expect(notices.size).toBe(0)
  })

  it('drops a held notice that the next append to the same follower carries', () => {
    notices.route([notice('2', 5), notice('3', 5)])
    const next = [append('2', 6, 5), append('3', 6, 5)]
    expect(notices.route(next)).toEqual(next)
    expect(notices.size).toBe(0)
    vi.advanceTimersByTime(10)
    expect(sent).toEqual([])
  })

  it('keeps only the newest notice to a follower', () => {
    notices.route([notice('2', 5)])
    notices.route([notice('2', 7)])
    vi.advanceTimersByTime(2)
    expect(sent).toEqual([[notice('2', 7)]])
  })

  it('sends a held notice ahead of any other message to that follower', () => {
    notices.route([notice('2', 5), notice('3', 5)])
    const hb = heartbeat('2', 5)
    expect(notices.route([hb])).toEqual([notice('2', 5), hb])
    // An append with an older commit index, or of another term, does not carry the notice either.
    notices.route([notice('2', 6)])
    const stale = append('2', 7, 4)
    expect(notices.route([stale])).toEqual([notice('2', 6), stale])
    const newTerm = append('3', 7, 6, 3)
    expect(notices.route([newTerm])).toEqual([notice('3', 5), newTerm])
    vi.advanceTimersByTime(10)
    expect(sent).toEqual([])
  })

  it('holds nothing but commit-only appends', () => {
    const others = [append('2', 6, 5), heartbeat('3', 5), makeMessage({ type: MessageType.Vote, to: '2', from: '1', term: 3 })]
    expect(notices.route(others)).toEqual(others)
    expect(notices.size).toBe(0)
  })

  it('sends what it holds at once when released, and nothing again later', () => {
    notices.route([notice('2', 5)])
    notices.release()
    expect(sent).toEqual([[notice('2', 5)]])
    vi.advanceTimersByTime(10)
    expect(sent).toHaveLength(1)
  })

  it('drops what it holds when cleared', () => {
    notices.route([notice('2', 5)])
    notices.clear()
    vi.advanceTimersByTime(10)
    expect(sent).toEqual([])
  })
})
