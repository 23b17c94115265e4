import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpSync, readdirSync, writeFileSync } from 'node:fs'
import type { Plugin } from 'vite'
import { DESCRIPTOR_FILE, protoDescriptorJson } from './src-main/etcdpb/descriptor'

const __dirname = fileURLToPath(new URL('.', import.meta.url))

/**
 * The etcd protocol definitions are read at run time (src-main/etcdpb/load.ts): ship them beside the
 * bundle, with their parsed JSON form, which loads in half the time (src-main/etcdpb/descriptor.ts).
 */
function copyProtos(): Plugin {
  return {
    name: 'raftdeck-copy-protos',
    writeBundle(options) {
      const from = resolve(__dirname, 'src-main/etcdpb')
      for (const f of readdirSync(from).filter((n) => n.endsWith('.proto'))) cpSync(resolve(from, f), resolve(options.dir!, 'etcdpb', f))
      writeFileSync(resolve(options.dir!, 'etcdpb', DESCRIPTOR_FILE), JSON.stringify(protoDescriptorJson(from)))
    },
  }
}

// Three bundles from one tree: the Electron main process (plus the `raftdeck` command, which needs no
// Electron), the sandboxed preload (CommonJS, no dependencies left external), and the renderer.
export default defineConfig({
  main: {
    plugins: [copyProtos()],
    build: {
      outDir: 'out/main',
      externalizeDeps: { exclude: ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', '@protobufjs/aspromise', 'long', 'lodash.camelcase', '@js-sdsl/ordered-map', 'cronstrue', 'croner', 'hpack.js'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          cli: resolve(__dirname, 'src-main/cli/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    base: './',
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
      chunkSizeWarningLimit: 2000,
    },
    resolve: { alias: { '@shared': resolve(__dirname, 'src-main/shared') } },
    plugins: [vue()],
    // vue-i18n's feature flags: Composition API only, messages compiled at run time without eval (CSP).
    define: {
      __VUE_I18N_FULL_INSTALL__: 'true',
      __VUE_I18N_LEGACY_API__: 'false',
      __INTLIFY_PROD_DEVTOOLS__: 'false',
      __INTLIFY_JIT_COMPILATION__: 'true',
      __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
    },
  },
})
