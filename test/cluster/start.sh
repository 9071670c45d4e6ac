#!/usr/bin/env bash
# A real loopback cluster for the tests and for demos: OpenSSH on 127.0.0.1:2222 (key auth only)
# and a single-node Slurm (partition gpu, 8 fake GPUs). Run as root on Debian. Idempotent: a
# running cluster is stopped first; the Slurm state always starts clean.
#
# Writes $STATE/cluster.env with what a client needs (host, port, user, key, known_hosts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
STATE="${CORPUS_LAB_CLUSTER_DIR:-/var/lib/corpus-lab-cluster}"
PORT="${CORPUS_LAB_CLUSTER_PORT:-2222}"
USER_NAME="${CORPUS_LAB_CLUSTER_USER:-corpuslab}"
NODE="$(hostname -s)"

[ "$(id -u)" = 0 ] || { echo "start.sh: run as root (it starts sshd, munged and Slurm)" >&2; exit 1; }
"$here/../setup-debian.sh" openssh-server munge slurmctld slurmd slurm-client
"$here/stop.sh" >/dev/null 2>&1 || true

rm -rf "$STATE/slurm" "$STATE/dev"
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
SelectTypeParameters=CR_Core
GresTypes=gpu
SlurmdParameters=config_overrides
# Finished jobs stay visible to squeue/scontrol for a day: there is no slurmdbd for sacct.
MinJobAge=86400
DependencyParameters=kill_invalid_depend
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/slurm/log/jobcomp.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
InactiveLimit=0
KillWait=5
OverTimeLimit=0
Waittime=0
SchedulerParameters=sched_interval=1,bf_interval=1,defer_batch=0
MessageTimeout=10
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=16 Boards=1 SocketsPerBoard=1 CoresPerSocket=16 ThreadsPerCore=1 RealMemory=16000 Gres=gpu:8 State=UNKNOWN
PartitionName=gpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$STATE/slurm/slurm.conf"
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
