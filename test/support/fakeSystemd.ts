// A stand-in for systemd on a test machine: a `systemctl` on PATH that starts and stops real etcd
// processes, so the restore scripts Raftdeck generates can be run end to end against real etcd 3.4.
// Only the service manager is replaced; etcd, etcdctl and the scripts are the real ones.
//
// Each unit is <dir>/units/<unit>.args (the command, one argument per line); start/stop keep a pid
// file; `systemctl cat` prints a unit file whose ExecStart holds those arguments.

import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const SCRIPT = `#!/usr/bin/env bash
# Test stand-in for systemctl (see test/support/fakeSystemd.ts).
set -uo pipefail
DIR=__DIR__
no_block=0; prop=""; quiet=0; value=0; args=()
for a in "$@"; do
  case "$a" in
    --no-block) no_block=1 ;;
    --quiet|-q) quiet=1 ;;
    --value) value=1 ;;
    -p) prop=next ;;
    *) if [ "$prop" = next ]; then prop="$a"; else args+=("$a"); fi ;;
  esac
done
cmd="\${args[0]:-}"; unit="\${args[1]:-}"; unit="\${unit%.service}"
U="$DIR/units/$unit"
alive() { [ -f "$U.pid" ] && kill -0 "$(cat "$U.pid")" 2>/dev/null; }
case "$cmd" in
  start)
    [ -f "$U.args" ] || { echo "Unit $unit.service not found." >&2; exit 5; }
    alive && exit 0
    mapfile -t argv < "$U.args"
    setsid "\${argv[@]}" >>"$U.log" 2>&1 </dev/null &
    echo $! >"$U.pid"
    ;;
  stop)
    if alive; then
      pid="$(cat "$U.pid")"; kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$U.pid"
    ;;
  is-active)
    if alive; then [ $quiet = 1 ] || echo active; exit 0; else [ $quiet = 1 ] || echo inactive; exit 3; fi
    ;;
  cat)
    [ -f "$U.args" ] || { echo "No files found for $unit.service." >&2; exit 1; }
    printf '# %s/%s.service\\n[Unit]\\nDescription=etcd (test)\\n\\n[Service]\\nType=notify\\nExecStart=%s\\n' "$DIR/units" "$unit" "$(paste -sd' ' "$U.args")"
    ;;
  show)
    case "$prop" in
      User) id -un ;;
      *) echo "" ;;
    esac
    ;;
  *) echo "fake systemctl: unsupported command '$cmd'" >&2; exit 1 ;;
esac
`

export interface FakeSystemd {
  dir: string
  /** Put this first on PATH so scripts find the fake systemctl. */
  bin: string
  define(unit: string, argv: string[]): void
  systemctl(...args: string[]): string
  log(unit: string): string
  stopAll(): void
}

export function fakeSystemd(dir: string): FakeSystemd {
  const bin = path.join(dir, 'bin')
  mkdirSync(path.join(dir, 'units'), { recursive: true })
  mkdirSync(bin, { recursive: true })
  writeFileSync(path.join(bin, 'systemctl'), SCRIPT.replace('__DIR__', JSON.stringify(dir)))
  chmodSync(path.join(bin, 'systemctl'), 0o755)
  const units = new Set<string>()
  const systemctl = (...args: string[]) => execFileSync(path.join(bin, 'systemctl'), args, { encoding: 'utf8' })
  return {
    dir,
    bin,
    define(unit, argv) {
      units.add(unit)
      writeFileSync(path.join(dir, 'units', `${unit}.args`), argv.join('\n') + '\n')
    },
    systemctl,
    log(unit) {
      const f = path.join(dir, 'units', `${unit}.log`)
      return existsSync(f) ? readFileSync(f, 'utf8') : ''
    },
    stopAll() {
      for (const u of units) {
        try {
          systemctl('stop', u)
        } catch {
          // already gone
        }
      }
    },
  }
}
