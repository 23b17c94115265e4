// Adds up the JSON reports of the vitest projects and Playwright into one closing line
// ("tests: N passed, N failed, N skipped") and lists why tests were skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs'

let passed = 0
let failed = 0
let skipped = 0
const reasons = new Map()
// Each failed test with the start of its error: the CI log keeps only its tail, so the cause must be there.
const failures = []
const firstLines = (text, n = 6) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim()).slice(0, n).map((l) => `      ${l.slice(0, 300)}`).join('\n')

for (const f of existsSync('test-results') ? readdirSync('test-results') : []) {
  if (!/^vitest-.*\.json$/.test(f)) continue
  const r = JSON.parse(readFileSync(`test-results/${f}`, 'utf8'))
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + r.numTodoTests
  console.log(`  ${f.replace(/^vitest-|\.json$/g, '').padEnd(12)} passed ${r.numPassedTests} · failed ${r.numFailedTests} · skipped ${r.numPendingTests + r.numTodoTests}`)
  for (const file of r.testResults ?? []) {
    const bad = (file.assertionResults ?? []).filter((a) => a.status === 'failed')
    for (const a of bad) failures.push(`  ✗ ${file.name.replace(process.cwd() + '/', '')} › ${a.fullName}\n${firstLines((a.failureMessages ?? []).join('\n'))}`)
    // A file that failed as a whole (import error, hook timeout) has no failed assertion of its own.
    if (!bad.length && file.status === 'failed') failures.push(`  ✗ ${file.name.replace(process.cwd() + '/', '')}\n${firstLines(file.message)}`)
  }
}

if (existsSync('test-results/playwright.json')) {
  const r = JSON.parse(readFileSync('test-results/playwright.json', 'utf8'))
  const s = r.stats
  passed += s.expected + s.flaky
  failed += s.unexpected
  skipped += s.skipped
  console.log(`  ${'e2e'.padEnd(12)} passed ${s.expected} · failed ${s.unexpected} · skipped ${s.skipped}${s.flaky ? ` (${s.flaky} flaky: a flaky test is a bug)` : ''}`)
  const walk = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? []) {
        if (t.status === 'unexpected' || t.status === 'flaky') {
          const res = (t.results ?? []).find((x) => x.status !== 'passed' && x.status !== 'skipped')
          const err = res?.errors?.map((e) => e.message).join('\n') ?? res?.error?.message
          const where = res?.error?.location ? ` (${res.error.location.file.replace(process.cwd() + '/', '')}:${res.error.location.line})` : ''
          failures.push(`  ✗ [${t.projectName}] ${spec.file} › ${spec.title}${where}, after ${Math.round((res?.duration ?? 0) / 1000)} s\n${firstLines(err, 10)}`)
        }
        if (t.status !== 'skipped') continue
        // The first skip annotation is the one that took effect.
        const a = [...(t.annotations ?? []), ...(t.results ?? []).flatMap((r) => r.annotations ?? [])].find((x) => x.type === 'skip' && x.description)
        const why = `${t.projectName}: ${a?.description ?? 'no reason given'}`
        reasons.set(why, (reasons.get(why) ?? 0) + 1)
      }
    for (const child of suite.suites ?? []) walk(child)
  }
  for (const suite of r.suites ?? []) walk(suite)
  // Measurements that specs record as annotations (e.g. kill → new leader shown in the UI).
  const measures = []
  const collect = (suite) => {
    for (const spec of suite.specs ?? []) for (const t of spec.tests ?? []) for (const res of t.results ?? []) for (const a of [...(res.annotations ?? []), ...(t.annotations ?? [])]) if (a.type === 'measure') measures.push(`${t.projectName}: ${a.description}`)
    for (const child of suite.suites ?? []) collect(child)
  }
  for (const suite of r.suites ?? []) collect(suite)
  for (const m of new Set(measures)) console.log(`measured: ${m}`)
}

for (const [why, n] of reasons) console.log(`skipped ${n}× — ${why}`)
if (failures.length) console.log(`failed tests:\n${failures.join('\n')}`)
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
