// The Electron IPC adapter: one Connection per renderer page. Only this file and src-main/electron
// know about Electron, and only its types: the objects are passed in, which lets a unit test drive
// this adapter with stand-ins and no Electron binary.

import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { IPC_CHANNEL_EVENT, IPC_CHANNEL_RPC, type HostMessage } from '../shared'
import type { Connection, Dispatcher } from './dispatch'
import type { Logger } from '../services/log'

type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>

export interface IpcAttachOptions {
  /** Only pages whose main-frame URL passes this check may call the API (no foreign content). */
  isTrustedUrl: (url: string) => boolean
  log?: Logger
}

export function attachIpc(ipcMain: IpcMainLike, dispatcher: Dispatcher, options: IpcAttachOptions): () => void {
  const connections = new Map<number, Connection>()

  const connectionFor = (wc: WebContents): Connection => {
    let conn = connections.get(wc.id)
    if (conn) return conn
    const send = (m: HostMessage) => {
      if (!wc.isDestroyed()) wc.send(IPC_CHANNEL_EVENT, m)
    }
    conn = dispatcher.connect(send)
    connections.set(wc.id, conn)
    const drop = () => {
      connections.get(wc.id)?.close()
      connections.delete(wc.id)
    }
    // A reload or navigation starts a new page whose renderer state is gone: its subscriptions must go too.
    wc.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) drop()
    })
    wc.once('destroyed', drop)
    wc.on('render-process-gone', drop)
    return conn
  }

  ipcMain.handle(IPC_CHANNEL_RPC, async (event: IpcMainInvokeEvent, msg: unknown) => {
    const frameUrl = event.senderFrame?.url ?? ''
    if (event.senderFrame?.parent || !options.isTrustedUrl(frameUrl)) {
      options.log?.warn(`ipc: refused a message from ${frameUrl || 'an unknown frame'}`)
      return false
    }
    await connectionFor(event.sender).handle(msg)
    return true
  })

  return () => {
    ipcMain.removeHandler(IPC_CHANNEL_RPC)
    for (const conn of connections.values()) conn.close()
    connections.clear()
  }
}
