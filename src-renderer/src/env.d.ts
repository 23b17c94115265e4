/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

interface RaftdeckBridge {
  call(msg: unknown): Promise<boolean>
  on(listener: (m: import('@shared/protocol').HostMessage) => void): () => void
}

interface Window {
  /** Present only in the Electron shell (exposed by the preload). */
  raftdeck?: RaftdeckBridge
}
