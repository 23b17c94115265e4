#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need on a fresh Debian machine of this
# kind, builds, then runs every suite: type check, lint, unit, Raft simulation, integration (real
# processes, real etcd 3.4) and end-to-end (Playwright in Debian's Chromium). All suites run even when
# one fails, so a CI log shows everything that is wrong; the exit code is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"
export FORCE_COLOR=0
mkdir -p test-results
rm -f test-results/vitest-*.json test-results/playwright.json

started=$(date +%s)
failed=()
step() {
  local name="$1"; shift
  local t0=$(date +%s)
  echo
  echo "==> $name"
  if "$@"; then
    echo "<== $name: ok ($(( $(date +%s) - t0 ))s)"
  else
    echo "<== $name: FAILED ($(( $(date +%s) - t0 ))s)"
    failed+=("$name")
  fi
}

system_packages() {
  # Debian packages: Chromium for Playwright, etcd 3.4 (server and etcdctl) as the reference, openssl for test certificates,
  # OpenSSH's server (and with it ssh-keygen, ssh-agent) for the SSH tunnel tests, which start their own sshd on loopback.
  # A CJK font (small) so the zh-CN e2e screenshots show Chinese instead of empty boxes.
  local need=()
  for p in chromium etcd-server etcd-client openssl openssh-server fonts-wqy-microhei; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # sshd refuses to start without its privilege separation folder, which Debian creates only at boot.
  [ -d /run/sshd ] || $sudo mkdir -p /run/sshd
  [ ${#need[@]} -eq 0 ] && { echo "all present"; return 0; }
  # Installing openssh-server must not start a system sshd listening on port 22: policy-rc.d (exit 101) tells
  # Debian's maintainer scripts not to start services, for the duration of the install only.
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && made_policy=1
  fi
  local rc=0
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" || rc=$?
  [ -n "$made_policy" ] && $sudo rm -f "$policy"
  return $rc
}

vitest_project() {
  npx vitest run --project "$1" --passWithNoTests --reporter=default --reporter=json --outputFile.json="test-results/vitest-$1.json"
}

step "system packages" system_packages || true
step "npm ci" npm ci --no-audit --no-fund
if [ ${#failed[@]} -gt 0 ]; then echo "cannot continue without dependencies"; exit 1; fi
step "build (electron-vite)" npm run build
step "type check" npm run typecheck
step "lint" npm run lint
step "unit tests" vitest_project unit
step "raft simulation" vitest_project sim
step "integration tests (real processes, etcd 3.4)" vitest_project integration
step "end-to-end (Playwright, Chromium)" env CI=1 npx playwright test

echo
node scripts/test-summary.mjs
echo "total time: $(( $(date +%s) - started ))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED steps: ${failed[*]}"
  exit 1
fi
echo "all steps passed"
