// The whole surface the renderer gets from the desktop shell: send a protocol message, and listen to
// host messages. Channels are fixed; messages are checked for shape before they cross.

import { contextBridge, ipcRenderer } from 'electron'
import { IPC_CHANNEL_EVENT, IPC_CHANNEL_RPC, parseClientMessage, type HostMessage } from '../shared/protocol'

contextBridge.exposeInMainWorld('raftdeck', {
  call(msg: unknown): Promise<boolean> {
    const parsed = parseClientMessage(msg)
    if (!parsed) return Promise.reject(new Error('raftdeck: malformed message'))
    return ipcRenderer.invoke(IPC_CHANNEL_RPC, parsed)
  },
  on(listener: (m: HostMessage) => void): () => void {
    if (typeof listener !== 'function') throw new Error('raftdeck: listener must be a function')
    const wrapped = (_e: unknown, m: HostMessage) => listener(m)
    ipcRenderer.on(IPC_CHANNEL_EVENT, wrapped)
    return () => {
      ipcRenderer.removeListener(IPC_CHANNEL_EVENT, wrapped)
    }
  },
})
