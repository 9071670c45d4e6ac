#!/usr/bin/env bash
# Runs test files that need the loopback cluster: starts it, runs them, stops it by PID.
#   test/cluster/run-tests.sh out/test/integration/ out/test/e2e/
set -uo pipefail
cd "$(dirname "$0")/../.."
# One loopback cluster per machine: concurrent checkouts (worktrees, a developer beside CI) wait their
# turn. flock -o: the lock's descriptor is not handed to the command, so daemons it starts never hold it.
if [ -z "${CORPUS_LAB_CLUSTER_LOCKED:-}" ]; then
  exec env CORPUS_LAB_CLUSTER_LOCKED=1 flock -o /tmp/corpus-lab-cluster.lock "$0" "$@"
fi
test/cluster/start.sh || exit 1
node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec "${@:-out/test/integration/}"
rc=$?
test/cluster/stop.sh
exit $rc
