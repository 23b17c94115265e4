// raftdeck/no-raw-ui-text: user-visible English written straight into the renderer instead of going
// through vue-i18n. vue/no-bare-strings-in-template catches text between tags and static attributes;
// this rule catches the rest: string literals inside template expressions ({{ ok ? 'Saved' : 'Failed' }},
// :title="'Copy'"), and in scripts the texts handed to Naive UI (message.error('…'), dialog options,
// column titles and option labels, h(NButton, …, () => 'Delete')).
//
// A literal counts as text when it reads like words: two words with a space between them, or one
// capitalised word ("Delete", "Copy…"). Identifiers ('running', 'success', 'MsgApp', 'NOSPACE') and
// punctuation pass. Add `// i18n-ok: why` on the line for the rare literal that is not UI text.

const PROSE = /[A-Za-z]{2,}[^\S\n]+[A-Za-z(]|^[A-Z][a-z]{2,}[.…:!?]*$|[A-Za-z]{3,}[.…:!?]$/
/** Properties whose string values Naive UI or our components show. */
const SHOWN_PROPS = new Set(['title', 'label', 'content', 'positiveText', 'negativeText', 'placeholder', 'description', 'text', 'hint', 'message', 'summary', 'headline', 'tip', 'empty', 'phase', 'detail', 'emptyText', 'cancelText'])
/** Calls whose arguments are shown: message.error('…'), notification.info('…'). */
const SHOWN_CALLEES = new Set(['success', 'error', 'info', 'warning', 'loading', 'create'])
const SHOWN_OBJECTS = /^(message|notification|msg|toast)$/
/** Calls whose string arguments are not text: keys, names, events, selectors. */
const NOT_TEXT_CALLEES = new Set(['$t', 't', 'tc', 'te', 'tm', 'rt', 'd', 'n', 'emit', '$emit', 'call', 'subscribe', 'startsWith', 'endsWith', 'includes', 'indexOf', 'split', 'join', 'replace', 'getItem', 'setItem', 'removeItem', 'querySelector', 'querySelectorAll', 'addEventListener', 'removeEventListener', 'matchMedia', 'test', 'match', 'push', 'require', 'defineStore', 'createElement', 'getElementById', 'localeCompare'])

function isText(value, node) {
  if (typeof value !== 'string') return false
  // `Links of ${m} cut`, `${n} members`: a template with words around its values is a sentence.
  if (node && node.type === 'TemplateLiteral' && node.expressions.length > 0) {
    const joined = node.quasis.map((q) => q.value.cooked ?? '').join('X')
    if (/[A-Za-z]{3,}\s|\s[A-Za-z]{3,}/.test(joined)) return true
  }
  return PROSE.test(value.trim())
}

function calleeName(node) {
  const c = node.callee
  if (!c) return null
  if (c.type === 'Identifier') return c.name
  if (c.type === 'MemberExpression' && !c.computed && c.property.type === 'Identifier') return c.property.name
  return null
}

function calleeObject(node) {
  const c = node.callee
  if (c && c.type === 'MemberExpression' && c.object.type === 'Identifier') return c.object.name
  return null
}

/** Is this literal used as something other than text (a comparison operand, a key, a callee's id argument)? */
function notText(node) {
  const p = node.parent
  if (!p) return false
  if (p.type === 'BinaryExpression' && ['===', '!==', '==', '!=', 'in'].includes(p.operator)) return true
  if (p.type === 'SwitchCase') return true
  if (p.type === 'Property' && p.key === node) return true
  if (p.type === 'MemberExpression' && p.property === node) return true
  if (p.type === 'ImportDeclaration' || p.type === 'ExportNamedDeclaration' || p.type === 'ExportAllDeclaration') return true
  if (p.type === 'TSLiteralType') return true
  if (p.type === 'CallExpression' && p.arguments.includes(node)) {
    const name = calleeName(p)
    if (name && NOT_TEXT_CALLEES.has(name)) return true
  }
  return false
}

function hasIgnoreComment(context, node) {
  const source = context.sourceCode ?? context.getSourceCode()
  const line = source.lines[node.loc.start.line - 1] ?? ''
  const prev = source.lines[node.loc.start.line - 2] ?? ''
  return line.includes('i18n-ok') || prev.includes('i18n-ok')
}

function literalText(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value
  if (node.type === 'TemplateLiteral') return node.quasis.map((q) => q.value.cooked ?? '').join(' ')
  return null
}

/** Is the literal (inside a script) in a place Naive UI or our code shows it? */
function shownInScript(node) {
  let cur = node
  let p = node.parent
  // Walk through conditionals, logical fallbacks and arrow bodies: `() => 'Delete'`, `a ? 'X' : 'Y'`.
  while (p && (p.type === 'ConditionalExpression' || p.type === 'LogicalExpression' || (p.type === 'ArrowFunctionExpression' && p.body === cur) || p.type === 'TSAsExpression')) {
    if (p.type === 'ConditionalExpression' && p.test === cur) return false
    cur = p
    p = p.parent
  }
  if (!p) return false
  if (p.type === 'Property' && p.value === cur && !p.computed) {
    const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : null
    return key !== null && SHOWN_PROPS.has(key)
  }
  if (p.type === 'CallExpression' && p.arguments.includes(cur)) {
    const name = calleeName(p)
    const obj = calleeObject(p)
    if (name && SHOWN_CALLEES.has(name) && obj && SHOWN_OBJECTS.test(obj)) return true
    // h(tag, props, 'text') or h(tag, props, () => 'text'): children of a render function.
    if (name === 'h' && p.arguments.indexOf(cur) >= 1 && cur.type !== 'ObjectExpression') return true
  }
  return false
}

export const noRawUiText = {
  meta: {
    type: 'problem',
    docs: { description: 'User-visible text in the renderer must go through vue-i18n ($t / t()).' },
    messages: { raw: 'Untranslated UI text "{{text}}": add a key to src-renderer/src/i18n/locales (en and zh-CN) and use $t / t().' },
    schema: [],
  },
  create(context) {
    const report = (node, text) => {
      if (hasIgnoreComment(context, node)) return
      context.report({ node, messageId: 'raw', data: { text: text.length > 40 ? `${text.slice(0, 40)}…` : text } })
    }
    const checkScript = (node) => {
      const text = literalText(node)
      if (text === null || !isText(text, node) || notText(node)) return
      if (shownInScript(node)) report(node, text)
    }
    const checkTemplate = (node) => {
      const text = literalText(node)
      if (text === null || !isText(text, node) || notText(node)) return
      // Inside a template expression every prose literal is shown, except attribute values that are not text.
      let a = node.parent
      while (a && a.type !== 'VAttribute') a = a.parent
      if (a && a.key && a.key.type === 'VDirectiveKey') {
        const arg = a.key.argument && a.key.argument.type === 'VIdentifier' ? a.key.argument.name : null
        if (arg && (/^(class|style|key|to|href|src|id|name|type|value|ref)$/.test(arg) || /testid$/i.test(arg))) return
      }
      report(node, text)
    }
    const scriptVisitor = { Literal: checkScript, TemplateLiteral: checkScript }
    const services = (context.sourceCode ?? context.getSourceCode()).parserServices
    if (services && typeof services.defineTemplateBodyVisitor === 'function') {
      return services.defineTemplateBodyVisitor({ Literal: checkTemplate, TemplateLiteral: checkTemplate }, scriptVisitor)
    }
    return scriptVisitor
  },
}

export default { rules: { 'no-raw-ui-text': noRawUiText } }
