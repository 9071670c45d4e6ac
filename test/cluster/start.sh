#!/usr/bin/env bash
# A real loopback cluster for the tests and for demos: OpenSSH on 127.0.0.1:2222 (key auth only)
# and a single-node Slurm (partition gpu, 8 fake GPUs) with accounting (slurmdbd over its own
# MariaDB), configured as real clusters are. Run as root on Debian. Idempotent: a running cluster
# is stopped first; the Slurm state and the accounting database always start clean.
#
#   CORPUS_LAB_CLUSTER_ACCOUNTING=0   no slurmdbd (many clusters have none): sacct is refused
#   CORPUS_LAB_CLUSTER_MIN_JOB_AGE=N  seconds squeue keeps a finished job (Slurm's default, 300)
#
# Writes $STATE/cluster.env with what a client needs (host, port, user, key, known_hosts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
STATE="${CORPUS_LAB_CLUSTER_DIR:-/var/lib/corpus-lab-cluster}"
PORT="${CORPUS_LAB_CLUSTER_PORT:-2222}"
USER_NAME="${CORPUS_LAB_CLUSTER_USER:-corpuslab}"
NODE="$(hostname -s)"
ACCOUNTING="${CORPUS_LAB_CLUSTER_ACCOUNTING:-1}"
MIN_JOB_AGE="${CORPUS_LAB_CLUSTER_MIN_JOB_AGE:-300}"
DB_PORT="${CORPUS_LAB_CLUSTER_DB_PORT:-6820}"
DBD_PORT="${CORPUS_LAB_CLUSTER_DBD_PORT:-6819}"
case "$ACCOUNTING" in 0|1) ;; *) echo "start.sh: CORPUS_LAB_CLUSTER_ACCOUNTING must be 0 or 1, not '$ACCOUNTING'" >&2; exit 1 ;; esac
[[ "$MIN_JOB_AGE" =~ ^[0-9]+$ ]] && [ "$MIN_JOB_AGE" -ge 2 ] || { echo "start.sh: CORPUS_LAB_CLUSTER_MIN_JOB_AGE must be a whole number of seconds >= 2 (Slurm's minimum), not '$MIN_JOB_AGE'" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "start.sh: run as root (it starts sshd, munged and Slurm)" >&2; exit 1; }
"$here/../setup-debian.sh" openssh-server munge slurmctld slurmd slurm-client slurmdbd mariadb-server
"$here/stop.sh" >/dev/null 2>&1 || true

rm -rf "$STATE/slurm" "$STATE/dev" "$STATE/db"
mkdir -p "$STATE"/{ssh,client,slurm/state,slurm/spool,slurm/log,dev,munge} /run/sshd
chmod 755 "$STATE"

# The cluster's user: a real account, home outside /tmp, no password (key only).
if ! id "$USER_NAME" >/dev/null 2>&1; then
  useradd --create-home --home-dir "/home/$USER_NAME" --shell /bin/bash "$USER_NAME"
fi
usermod -p '*' "$USER_NAME"
home="$(getent passwd "$USER_NAME" | cut -d: -f6)"

# Keys: the server's host key and the client's identity, made once and kept.
[ -f "$STATE/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh/ssh_host_ed25519_key"
[ -f "$STATE/client/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C corpus-lab-tests -f "$STATE/client/id_ed25519"
install -d -m 700 -o "$USER_NAME" -g "$USER_NAME" "$home/.ssh"
install -m 600 -o "$USER_NAME" -g "$USER_NAME" "$STATE/client/id_ed25519.pub" "$home/.ssh/authorized_keys"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$STATE/ssh/ssh_host_ed25519_key.pub")" > "$STATE/client/known_hosts"

cat > "$STATE/ssh/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $PORT
HostKey $STATE/ssh/ssh_host_ed25519_key
PidFile $STATE/ssh/sshd.pid
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $USER_NAME
UsePAM no
StrictModes yes
MaxSessions 10
MaxStartups 100:30:200
Subsystem sftp internal-sftp
SetEnv SLURM_CONF=$STATE/slurm/slurm.conf
LogLevel VERBOSE
CONF
/usr/sbin/sshd -t -f "$STATE/ssh/sshd_config"
/usr/sbin/sshd -f "$STATE/ssh/sshd_config" -E "$STATE/ssh/sshd.log"

# munge: Slurm's authentication, with its own socket and key under $STATE.
[ -f "$STATE/munge/munge.key" ] || { dd if=/dev/urandom bs=1 count=1024 of="$STATE/munge/munge.key" status=none; }
chown -R munge:munge "$STATE/munge"; chmod 700 "$STATE/munge"; chmod 400 "$STATE/munge/munge.key"
install -d -o munge -g munge -m 755 /run/munge
runuser -u munge -- /usr/sbin/munged --key-file="$STATE/munge/munge.key" --pid-file="$STATE/munge/munged.pid" \
  --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed" --socket=/run/munge/munge.socket.2

# Eight fake GPUs: character devices like /dev/null, so gres has files to hand out.
for i in 0 1 2 3 4 5 6 7; do mknod -m 666 "$STATE/dev/nvidia$i" c 1 3; done

export SLURM_CONF="$STATE/slurm/slurm.conf"

if [ "$ACCOUNTING" = 1 ]; then
  # gres/gpu among the tracked TRES, so sacct's AllocTRES counts GPUs.
  ACCOUNTING_CONF="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
AccountingStorageTRES=gres/gpu"
else
  ACCOUNTING_CONF="AccountingStorageType=accounting_storage/none"
fi

cat > "$STATE/slurm/gres.conf" <<CONF
NodeName=$NODE Name=gpu File=$STATE/dev/nvidia[0-7]
CONF
cat > "$STATE/slurm/slurm.conf" <<CONF
ClusterName=corpuslab
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CryptoType=crypto/munge
StateSaveLocation=$STATE/slurm/state
SlurmdSpoolDir=$STATE/slurm/spool
SlurmctldPidFile=$STATE/slurm/slurmctld.pid
SlurmdPidFile=$STATE/slurm/slurmd.pid
SlurmctldLogFile=$STATE/slurm/log/slurmctld.log
SlurmdLogFile=$STATE/slurm/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
# Memory is a consumable resource, so --mem is a limit (each CPU gets 1 GB unless asked).
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
GresTypes=gpu
SlurmdParameters=config_overrides
# How long squeue still lists a finished job; after that only accounting (or nothing) knows it.
MinJobAge=$MIN_JOB_AGE
DependencyParameters=kill_invalid_depend
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/slurm/log/jobcomp.log
$ACCOUNTING_CONF
# Samples each job's memory every second (MaxRSS), and OverMemoryKill ends a job over its --mem as
# a cgroup would; Slurm then records FAILED with signal 9 and says why in the job's output.
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
InactiveLimit=0
KillWait=5
OverTimeLimit=0
Waittime=0
SchedulerParameters=sched_interval=1,bf_interval=1,defer_batch=0
MessageTimeout=10
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=16 Boards=1 SocketsPerBoard=1 CoresPerSocket=16 ThreadsPerCore=1 RealMemory=16000 Gres=gpu:8 State=UNKNOWN
PartitionName=gpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF

# Accounting: MariaDB under $STATE/db (its own datadir, socket and port on 127.0.0.1, run as
# mysql), then slurmdbd, which reads slurmdbd.conf beside $SLURM_CONF. No system service is used.
if [ "$ACCOUNTING" = 1 ]; then
  install -d -o mysql -g mysql -m 700 "$STATE/db"
  runuser -u mysql -- mariadb-install-db --no-defaults --datadir="$STATE/db/data" --auth-root-authentication-method=socket \
    --skip-test-db --innodb-log-file-size=8M > "$STATE/db/install.log" 2>&1 || { cat "$STATE/db/install.log" >&2; exit 1; }
  setsid runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir="$STATE/db/data" --socket="$STATE/db/mysqld.sock" \
    --bind-address=127.0.0.1 --port="$DB_PORT" --skip-name-resolve --pid-file="$STATE/db/mysqld.pid" \
    --log-error="$STATE/db/mysqld.log" --innodb-buffer-pool-size=32M --innodb-log-file-size=8M </dev/null >/dev/null 2>&1 &
  db() { mariadb --no-defaults --socket="$STATE/db/mysqld.sock" -u root "$@"; }
  for _ in $(seq 1 100); do db -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
  db -e 'SELECT 1' >/dev/null || { echo "start.sh: MariaDB did not start; see $STATE/db/mysqld.log" >&2; exit 1; }
  DB_PASS="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  db -e "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
  # 0600 and owned by SlurmUser, as slurmdbd requires: it holds the database password.
  install -m 600 -o root -g root /dev/null "$STATE/slurm/slurmdbd.conf"
  cat > "$STATE/slurm/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=$NODE
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$STATE/slurm/slurmdbd.pid
LogFile=$STATE/slurm/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
CONF
  /usr/sbin/slurmdbd
  for _ in $(seq 1 100); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.1; done
  sacctmgr -n list cluster >/dev/null || { echo "start.sh: slurmdbd did not answer; see $STATE/slurm/log/slurmdbd.log" >&2; exit 1; }
  sacctmgr -i add cluster corpuslab >/dev/null
  sacctmgr -i add account corpuslab Description=loopback Organization=corpuslab >/dev/null
  sacctmgr -i add user "$USER_NAME" Account=corpuslab >/dev/null
fi

/usr/sbin/slurmctld -i -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"

cat > "$STATE/cluster.env" <<ENV
CORPUS_LAB_CLUSTER_HOST=127.0.0.1
CORPUS_LAB_CLUSTER_PORT=$PORT
CORPUS_LAB_CLUSTER_USER=$USER_NAME
CORPUS_LAB_CLUSTER_HOME=$home
CORPUS_LAB_CLUSTER_KEY=$STATE/client/id_ed25519
CORPUS_LAB_CLUSTER_KNOWN_HOSTS=$STATE/client/known_hosts
CORPUS_LAB_CLUSTER_SSHD_PID=$STATE/ssh/sshd.pid
CORPUS_LAB_CLUSTER_SLURM_CONF=$SLURM_CONF
CORPUS_LAB_CLUSTER_JOBCOMP=$STATE/slurm/log/jobcomp.log
CORPUS_LAB_CLUSTER_ACCOUNTING=$ACCOUNTING
CORPUS_LAB_CLUSTER_MIN_JOB_AGE=$MIN_JOB_AGE
ENV

# Up when the node takes jobs and sshd answers.
for _ in $(seq 1 100); do
  if sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)' && \
     ssh -q -o BatchMode=yes -o UserKnownHostsFile="$STATE/client/known_hosts" -i "$STATE/client/id_ed25519" -p "$PORT" "$USER_NAME@127.0.0.1" true; then
    echo "loopback cluster up: ssh -p $PORT -i $STATE/client/id_ed25519 $USER_NAME@127.0.0.1 (env: $STATE/cluster.env)"
    exit 0
  fi
  sleep 0.2
done
echo "start.sh: the cluster did not come up; logs in $STATE/slurm/log and $STATE/ssh/sshd.log" >&2
sinfo >&2 || true
tail -n 20 "$STATE/slurm/log/slurmctld.log" "$STATE/slurm/log/slurmd.log" >&2 || true
exit 1
