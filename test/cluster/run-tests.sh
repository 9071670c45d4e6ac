#!/usr/bin/env bash
# Runs test files that need the loopback cluster: starts it, runs them, stops it by PID.
#   test/cluster/run-tests.sh out/test/integration/ out/test/e2e/
set -uo pipefail
cd "$(dirname "$0")/../.."
# One loopback cluster per machine: concurrent checkouts (worktrees, a developer beside CI) wait their turn.
exec 9>/tmp/corpus-lab-cluster.lock
flock 9
test/cluster/start.sh || exit 1
node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec "${@:-out/test/integration/}"
rc=$?
test/cluster/stop.sh
exit $rc
