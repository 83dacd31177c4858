# A single-node Slurm cluster for the tests, started from Debian's slurm-wlm and munge packages in a
# directory of its own (sourced by tests/e2e_slurm.sh; nothing outside DIR is touched):
#   slurm_cluster_start DIR   munged, slurmctld and slurmd with a minimal slurm.conf (this host, its
#                             CPUs, free ports); exports SLURM_CONF. Returns 1 with the reason in
#                             SLURM_SKIP when the daemons cannot start (not root, not installed,
#                             no privileges).
#   slurm_cluster_stop        stops every daemon it started (also after a failed start).
# State: SLURM_DIR, SLURM_SOCK (the munge socket's directory), SLURM_PIDFILES.

SLURM_PIDFILES=()

# a TCP port nobody listens on, in a range the system's ephemeral ports do not use
_slurm_free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 10000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

_slurm_conf() {
  local d=$1 host=$2 cport=$3 dport=$4
  cat > "$d/slurm.conf" <<EOF
ClusterName=sgptest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_SOCK/munge.socket
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  [[ -z ${SLURM_EXTRA_CONF:-} ]] || printf '%s\n' "$SLURM_EXTRA_CONF" >> "$d/slurm.conf"
}

slurm_cluster_start() {
  SLURM_DIR=$1
  SLURM_SKIP=
  local b
  for b in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
    command -v "$b" > /dev/null || { SLURM_SKIP="'$b' is not installed (scripts/deps.sh --test installs slurm-wlm and munge)"; return 1; }
  done
  [[ $(id -u) == 0 ]] || { SLURM_SKIP="slurmd must run as root to start jobs (running as uid $(id -u))"; return 1; }
  local d=$SLURM_DIR host cport dport
  host=$(hostname -s)
  cport=$(_slurm_free_port) && dport=$(_slurm_free_port) && [[ $cport != "$dport" ]] ||
    { SLURM_SKIP="no free TCP port found"; return 1; }
  # munged wants its key private and every directory above its socket searchable by everyone (and
  # a socket path is short): the socket gets a directory of its own in /tmp
  SLURM_SOCK=$(mktemp -d /tmp/sgp-munge.XXXXXX) && chmod 755 "$SLURM_SOCK" || { SLURM_SKIP="cannot create a directory in /tmp"; return 1; }
  mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge"
  chmod 700 "$d/munge"
  head -c 1024 /dev/urandom > "$d/munge/munge.key"; chmod 400 "$d/munge/munge.key"
  SLURM_PIDFILES=("$d/munge/munged.pid")
  munged --key-file="$d/munge/munge.key" --socket="$SLURM_SOCK/munge.socket" --pid-file="$d/munge/munged.pid" \
    --log-file="$d/munge/munged.log" --seed-file="$d/munge/seed" 2> "$d/log/munged.err" ||
    { SLURM_SKIP="munged did not start: $(tail -1 "$d/munge/munged.log" 2>/dev/null || tail -1 "$d/log/munged.err")"; return 1; }
  _slurm_conf "$d" "$host" "$cport" "$dport"
  export SLURM_CONF=$d/slurm.conf
  SLURM_PIDFILES+=("$d/slurmctld.pid" "$d/slurmd.pid")
  slurmctld -f "$SLURM_CONF" 2> "$d/log/slurmctld.err" ||
    { SLURM_SKIP="slurmctld did not start: $(tail -1 "$d/log/slurmctld.log" 2>/dev/null)"; return 1; }
  slurmd -f "$SLURM_CONF" 2> "$d/log/slurmd.err" ||
    { SLURM_SKIP="slurmd did not start: $(tail -1 "$d/log/slurmd.log" 2>/dev/null)"; return 1; }
  for _ in $(seq 200); do
    [[ $(sinfo -h -o %T 2>/dev/null) == idle ]] && return 0
    sleep 0.1
  done
  SLURM_SKIP="the node did not become idle within 20 s: $(sinfo -h -o '%T %E' 2>&1 | head -1); slurmd: $(tail -1 "$d/log/slurmd.log" 2>/dev/null)"
  return 1
}

# The pid in a pid file if that process is one of ours (its command line names SLURM_DIR).
_slurm_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]] &&
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$SLURM_DIR" && echo "$pid"
}

# Stops what it started: the cluster's jobs (scancel), then the daemons (scontrol shutdown, then
# SIGTERM and SIGKILL to those still running, by their pid files, checked to be ours), munged last.
slurm_cluster_stop() {
  local errexit=0
  [[ $- == *e* ]] && errexit=1 && set +e
  if [[ -n ${SLURM_CONF:-} ]]; then
    # the jobs first (a failed test may leave some running), then the daemons
    timeout 10 scancel --user="$(id -un)" > /dev/null 2>&1
    for _ in $(seq 100); do [[ -z $(timeout 5 squeue -h 2>/dev/null) ]] && break; sleep 0.1; done
    timeout 10 scontrol shutdown > /dev/null 2>&1
  fi
  local f pid sig
  for sig in NONE TERM KILL; do
    for _ in $(seq 50); do
      local alive=0
      for f in "${SLURM_PIDFILES[@]}"; do
        [[ $f == */munged.pid ]] && continue
        pid=$(_slurm_pid "$f") || continue
        alive=1
        [[ $sig != NONE ]] && kill -"$sig" "$pid" 2>/dev/null
      done
      ((alive)) || break 2
      sleep 0.1
    done
  done
  for f in "${SLURM_PIDFILES[@]}"; do
    [[ $f == */munged.pid ]] || continue
    pid=$(_slurm_pid "$f") || continue
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  SLURM_PIDFILES=()
  [[ -n ${SLURM_SOCK:-} ]] && rm -rf "$SLURM_SOCK"
  SLURM_SOCK=
  ((errexit)) && set -e
  return 0
}
