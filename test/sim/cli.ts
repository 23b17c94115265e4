// npm run sim -- [--scenario NAME] [--seed N | --seeds COUNT [--from N]] [--disable a,b]
//                [--mutate rule,rule] [--skip-grant-check] [--trace] [--list]
//
// --seed N replays one run exactly (with a trace on failure). --seeds COUNT
// runs COUNT seeds, cycling through the scenarios unless --scenario is given.

import { formatFailure, mutationFaults, runScenario, shrink } from './runner'
import type { RunResult } from './runner'
import { SCENARIOS } from './scenarios'
import { FAULT_CLASSES } from './sim'
import type { FaultClass } from './sim'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function main(): number {
  if (process.argv.includes('--list')) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(22)} ${s.description}`)
    return 0
  }
  const scenario = arg('scenario')
  const disabled = new Set<FaultClass>()
  for (const c of (arg('disable') ?? '').split(',').filter(Boolean)) {
    if (!FAULT_CLASSES.includes(c as FaultClass)) throw new Error(`unknown fault class ${c}; known: ${FAULT_CLASSES.join(',')}`)
    disabled.add(c as FaultClass)
  }
  const faults = mutationFaults((arg('mutate') ?? '').split(',').filter(Boolean))
  const skipGrantCheck = process.argv.includes('--skip-grant-check')
  const one = arg('seed')
  if (one !== undefined) {
    const names = scenario ? [scenario] : SCENARIOS.map((s) => s.name)
    let failed = 0
    for (const name of names) {
      const r = runScenario({ scenario: name, seed: Number(one), disabled, faults, skipGrantCheck, trace: process.argv.includes('--trace') })
      if (r.ok) console.log(`ok   ${name} seed=${one} ${JSON.stringify(r.stats)}`)
      else {
        failed++
        const traced = r.trace ? r : runScenario({ scenario: name, seed: Number(one), disabled, faults, skipGrantCheck, trace: true })
        console.log(formatFailure(traced, 200))
      }
    }
    return failed > 0 ? 1 : 0
  }
  const count = Number(arg('seeds') ?? '100')
  const from = Number(arg('from') ?? '1')
  const started = Date.now()
  const failures: RunResult[] = []
  const perScenario = new Map<string, number>()
  for (let i = 0; i < count; i++) {
    const seed = from + i
    const name = scenario ?? SCENARIOS[i % SCENARIOS.length].name
    const r = runScenario({ scenario: name, seed, disabled, faults, skipGrantCheck })
    perScenario.set(name, (perScenario.get(name) ?? 0) + 1)
    if (!r.ok) {
      failures.push(r)
      console.log(`FAIL ${name} seed=${seed}: ${r.kind}: ${r.error?.split('\n')[0]}`)
      if (failures.length === 1) console.log(formatFailure(shrink(r)))
    }
    if ((i + 1) % 1000 === 0) console.log(`${i + 1}/${count} seeds, ${failures.length} failures, ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  const secs = (Date.now() - started) / 1000
  console.log(`${count} runs (${[...perScenario].map(([k, v]) => `${k}:${v}`).join(' ')}) in ${secs.toFixed(1)} s: ${failures.length} failures`)
  return failures.length > 0 ? 1 : 0
}

process.exitCode = main()
