#!/usr/bin/env bash
# Integration tests against the loopback cluster: start it, run test/integration, stop it by PID.
set -uo pipefail
cd "$(dirname "$0")/../.."
test/cluster/start.sh || exit 1
node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=spec out/test/integration/
rc=$?
test/cluster/stop.sh
exit $rc
