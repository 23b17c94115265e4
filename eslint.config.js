// Lint rules that hold the architecture in place (GUIDE.md §2): who may import what.
// test/unit/lintBoundaries.test.ts proves each rule fires, using the fixtures in test/fixtures/lint.
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import raftdeck from './eslint/noRawUiText.js'

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream', 'worker_threads', 'url', 'util', 'events']

const electronOnly = {
  group: ['electron', 'electron/*'],
  message: "Only src-main/electron and src-main/rpc/ipc.ts may import 'electron' (GUIDE.md §2).",
}

// Every string a user reads in the renderer goes through vue-i18n (src-renderer/src/i18n). Text that
// is the same in every language and is not prose passes: punctuation, symbols, the product's name.
const bareTextAllowlist = ['(', ')', ',', '.', '&', '+', '-', '=', '*', '/', '#', '%', '!', '?', ':', ';', '[', ']', '{', '}', '<', '>', '·', '•', '‐', '–', '—', '−', '|', '…', '⋯', '→', '←', '↑', '↓', '×', '✓', '✕', '⌘', '"', '“', '”', '@', '▾', 'Raftdeck', 'etcd', 'etcdctl', '/^[0-9.\\s]+$/']
/** Attributes whose static values are shown (Naive UI's and ours as well as HTML's). */
const shownAttributes = ['title', 'aria-label', 'aria-placeholder', 'aria-roledescription', 'aria-valuetext', 'placeholder', 'label', 'alt', 'description', 'content', 'positive-text', 'negative-text', 'empty', 'add-label', 'cancel-text', 'header', 'tooltip', 'hint', 'empty-description']
/**
 * Files not translated yet: the rule was switched on area by area, and every area is translated now.
 * Keep it empty: a new file with raw text fails the lint instead of being added here.
 */
const untranslated = []

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })
const layer = (folders, message) => ({ group: folders, message })

export default tseslint.config(
  // The lint fixtures break the rules on purpose; test/unit/lintBoundaries.test.ts lints them with ignores off.
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tmp/**', 'test/fixtures/lint/**'] },
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-indent': 'off',
    },
  },
  // No raw user-visible text in the renderer (GUIDE.md; docs/i18n.md). test/unit/lintBoundaries.test.ts proves it fires.
  {
    files: ['src-renderer/**/*.vue', 'src-renderer/**/*.ts', 'test/fixtures/lint/src-renderer/**'],
    ignores: ['src-renderer/src/i18n/locales/**', ...untranslated],
    plugins: { raftdeck },
    rules: {
      'raftdeck/no-raw-ui-text': 'error',
      'vue/no-bare-strings-in-template': ['error', { allowlist: bareTextAllowlist, attributes: { '/.+/': shownAttributes }, directives: ['v-text'] }],
    },
  },
  // Everyone outside the Electron glue: no 'electron'.
  { files: ['**/*.ts', '**/*.vue', '**/*.js', '**/*.mjs'], rules: restrict(electronOnly) },
  // The renderer: browser code only. It reaches the services through src-renderer/src/api, never directly.
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue', 'test/fixtures/lint/src-renderer/**'],
    rules: restrict(
      electronOnly,
      layer(nodeBuiltins, 'The renderer runs in a browser sandbox: no Node built-ins.'),
      layer(['@grpc/*', 'ws', '@grpc/grpc-js'], 'gRPC and sockets belong to the services; call them through src-renderer/src/api.'),
      layer(
        ['**/src-main/*', '!**/src-main/shared', '**/src-main/!(shared)/**', '../../src-main/**', '!@shared/**'],
        'The renderer may import only src-main/shared (as @shared).',
      ),
    ),
  },
  // src-main/shared: the contract imports nothing outside itself.
  {
    files: ['src-main/shared/**/*.ts', 'test/fixtures/lint/src-main/shared/**'],
    rules: restrict(
      electronOnly,
      layer(
        ['**/services/**', '**/rpc/**', '**/member/**', '**/raft/**', '**/bbolt/**', '**/cli/**', '**/electron/**', '**/etcdpb/**', '**/src-renderer/**', ...nodeBuiltins, '@grpc/*', 'ws'],
        'src-main/shared is the contract: it imports nothing outside itself.',
      ),
    ),
  },
  // The Raft core is pure: no I/O, no other layers.
  {
    files: ['src-main/raft/**/*.ts', 'test/fixtures/lint/src-main/raft/**'],
    rules: restrict(
      electronOnly,
      layer([...nodeBuiltins, '@grpc/*', 'ws'], 'The Raft core is deterministic: no I/O, timers or sockets (GUIDE.md §3.1).'),
      layer(['../member/*', '../services/*', '../rpc/*', '../cli/*', '../bbolt/*', '../etcdpb/*'], 'The Raft core depends on nothing but src-main/shared.'),
    ),
  },
  {
    files: ['src-main/bbolt/**/*.ts', 'test/fixtures/lint/src-main/bbolt/**'],
    rules: restrict(
      electronOnly,
      layer(['../member/*', '../services/*', '../rpc/*', '../cli/*', '../raft/*', '../etcdpb/*'], 'src-main/bbolt depends on nothing but src-main/shared.'),
    ),
  },
  {
    files: ['src-main/member/**/*.ts', 'test/fixtures/lint/src-main/member/**'],
    rules: restrict(electronOnly, layer(['../services/*', '../rpc/*', '../cli/*', '../../services/*', '../../rpc/*', '../../cli/*'], 'A member is a server: it must not depend on the app layers.')),
  },
  {
    files: ['src-main/services/**/*.ts', 'test/fixtures/lint/src-main/services/**'],
    rules: restrict(electronOnly, layer(['../rpc/*', '../cli/*', '../../rpc/*', '../../cli/*', '**/src-renderer/**'], 'Services do not know their transports or the command line.')),
  },
  // The Electron glue: allowed to import electron.
  { files: ['src-main/electron/**/*.ts', 'src-main/rpc/ipc.ts', 'test/fixtures/lint/src-main/electron/**'], rules: { 'no-restricted-imports': 'off' } },
)
