#!/usr/bin/env bash
# Stops the loopback cluster of start.sh, by the PIDs it recorded (never by name: other sshd or
# Slurm daemons, or a system MariaDB, on the machine are left alone).
set -uo pipefail
STATE="${CORPUS_LAB_CLUSTER_DIR:-/var/lib/corpus-lab-cluster}"
stop() {
  local pidfile="$1"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
stop "$STATE/slurm/slurmd.pid"
stop "$STATE/slurm/slurmctld.pid"
stop "$STATE/slurm/slurmdbd.pid"
stop "$STATE/db/mysqld.pid"
stop "$STATE/munge/munged.pid"
stop "$STATE/ssh/sshd.pid"
exit 0
