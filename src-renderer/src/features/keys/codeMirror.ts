// CodeMirror 6 setup for the value editor: language per format, validation as lint diagnostics (JSON by
// parsing, YAML by the parser's error nodes) and a theme that follows the app's light/dark choice.
// Everything here is bundled, so it works offline and under `script-src 'self'`. CodeMirror's own words
// (search panel, lint panel, folding, the diff's collapsed lines) come from the UI's language: phrases().

import { json, jsonParseLinter } from '@codemirror/lang-json'
import { yaml } from '@codemirror/lang-yaml'
import { HighlightStyle, syntaxHighlighting, syntaxTree } from '@codemirror/language'
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint'
import { EditorState, type Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { tags as t } from '@lezer/highlight'
import { currentLocale, t as tr } from '../../i18n'

export type EditorLanguage = 'json' | 'yaml' | 'text'

const yamlLinter = linter((view) => {
  const out: Diagnostic[] = []
  syntaxTree(view.state).iterate({
    enter(node) {
      if (node.type.isError && out.length < 50) out.push({ from: node.from, to: Math.max(node.to, node.from + 1), severity: 'error', message: tr('keys.editor.yamlError') })
    },
  })
  return out
})

export function languageExtensions(lang: EditorLanguage): Extension[] {
  if (lang === 'json') return [json(), linter(jsonParseLinter()), lintGutter()]
  if (lang === 'yaml') return [yaml(), yamlLinter, lintGutter()]
  return []
}

const darkHighlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName)], color: '#93c5fd' },
  { tag: [t.string, t.special(t.string)], color: '#86efac' },
  { tag: [t.number, t.bool, t.null, t.atom], color: '#fca5a5' },
  { tag: [t.keyword, t.operator], color: '#c4b5fd' },
  { tag: [t.comment], color: '#9aa3af', fontStyle: 'italic' },
  { tag: [t.punctuation, t.bracket, t.separator], color: '#cbd5e1' },
])

export function themeExtensions(dark: boolean): Extension[] {
  const base = EditorView.theme(
    {
      '&': { height: '100%', fontSize: '13px', backgroundColor: 'var(--rd-panel)', color: dark ? '#e5e7eb' : '#1f2937' },
      '.cm-scroller': { fontFamily: 'var(--rd-mono)', lineHeight: '1.5' },
      '.cm-gutters': { backgroundColor: 'var(--rd-bg)', color: 'var(--rd-muted)', borderRight: '1px solid var(--rd-border)' },
      '.cm-activeLine': { backgroundColor: dark ? '#ffffff0a' : '#2563eb0a' },
      '.cm-activeLineGutter': { backgroundColor: dark ? '#ffffff10' : '#2563eb12' },
      '&.cm-focused': { outline: 'none' },
      '.cm-cursor': { borderLeftColor: dark ? '#e5e7eb' : '#111827' },
      '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: dark ? '#3b82f655' : '#2563eb33' },
    },
    { dark },
  )
  return dark ? [base, syntaxHighlighting(darkHighlight)] : [base]
}

/** CodeMirror's phrases in the UI's language (English needs none: they are CodeMirror's own). */
export function phrases(): Extension {
  if (currentLocale() === 'en') return []
  const p = (key: string) => tr(`keys.editor.${key}`)
  return EditorState.phrases.of({
    Find: p('find'),
    Replace: p('replace'),
    next: p('next'),
    previous: p('previous'),
    all: p('all'),
    'match case': p('matchCase'),
    regexp: p('regexp'),
    'by word': p('byWord'),
    replace: p('replaceOne'),
    'replace all': p('replaceAll'),
    close: p('close'),
    'current match': p('currentMatch'),
    'on line': p('onLine'),
    'replaced $ matches': tr('keys.editor.replacedMatches', { n: '$' }),
    'replaced match on line $': tr('keys.editor.replacedOnLine', { n: '$' }),
    'Go to line': p('gotoLine'),
    go: p('go'),
    Diagnostics: p('diagnostics'),
    'No diagnostics': p('noDiagnostics'),
    'Fold line': p('foldLine'),
    'Unfold line': p('unfoldLine'),
    'Folded lines': p('foldedLines'),
    'Unfolded lines': p('unfoldedLines'),
    'folded code': p('foldedCode'),
    unfold: p('unfold'),
    '$ unchanged lines': tr('keys.editor.unchangedLines', { n: '$' }),
    'Control character': p('controlCharacter'),
    'Selection deleted': p('selectionDeleted'),
    Completions: p('completions'),
    Accept: p('accept'),
    Reject: p('reject'),
    'Revert this chunk': p('revertChunk'),
    to: p('to'),
  })
}
