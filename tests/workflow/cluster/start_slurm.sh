#!/usr/bin/env bash
# Start a throw-away single-node SLURM on this machine (Debian/Ubuntu, run as root).
# Idempotent: installs what is missing, (re)writes the config, starts only the
# daemons that are not already running, then waits until the node is idle.
#
#   bash tests/workflow/cluster/start_slurm.sh          # start (or check) the cluster
#   bash tests/workflow/cluster/start_slurm.sh stop     # stop slurmd and slurmctld
#
# With UQTRACK_SLURM_STARTED=<file>, start appends "name pid" to that file for each
# daemon it starts itself (munged, slurmctld, slurmd), and `stop` ends exactly those
# (.ci/run uses this to stop only what it started).
#
# No accounting (no slurmdbd / database): snakemake-executor-plugin-slurm is told
# to poll job states with `squeue` instead of `sacct` (see tests/workflow/test_cluster.py),
# which works because MinJobAge below keeps finished jobs visible to squeue.
# No cgroups (containers rarely have them): proctrack/linuxproc + task/none.
set -euo pipefail

CONF_DIR=/etc/slurm
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm

STARTED=${UQTRACK_SLURM_STARTED:-}

pid_alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# note a daemon this script started, by its pid file
started() { if [[ -n "$STARTED" && -s "$2" ]]; then echo "$1 $(cat "$2")" >>"$STARTED"; fi; }

if [[ "${1:-}" == "stop" ]]; then
    if [[ -n "$STARTED" ]]; then  # exactly what start recorded, newest first
        if [[ -s "$STARTED" ]]; then
            tac "$STARTED" | while read -r name pid; do
                if kill "$pid" 2>/dev/null; then
                    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                    echo "stopped $name ($pid)"
                fi
            done
            : >"$STARTED"
        fi
        exit 0
    fi
    for f in "$RUN_DIR/slurmd.pid" "$RUN_DIR/slurmctld.pid"; do
        if pid_alive "$f"; then kill "$(cat "$f")"; fi
    done
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    echo "start_slurm.sh: run as root (it installs packages and starts daemons)" >&2
    exit 1
fi

# --- packages -------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# --- munge ----------------------------------------------------------------
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 20); do
        munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.5
    done
    started munged /run/munge/munged.pid
fi
munge -n </dev/null | unmunge >/dev/null || { echo "munged is not working" >&2; exit 1; }

# --- slurm.conf -----------------------------------------------------------
HOST=$(hostname -s)
# `slurmd -C` prints this machine's real layout, e.g.
# NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
NODE_LINE=$(slurmd -C | head -n1)
CPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$NODE_LINE")
# sockets/cores/threads exactly as detected, or slurmd complains about the layout
LAYOUT=$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$NODE_LINE" || true)
MEM=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$NODE_LINE")
# leave a little head room so the node is never drained for "Low RealMemory"
MEM=$(( MEM * 95 / 100 ))

mkdir -p "$CONF_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" "$RUN_DIR"
NEW_CONF=$(mktemp)
cat >"$NEW_CONF" <<EOF
# Written by tests/workflow/cluster/start_slurm.sh: single-node test cluster.
ClusterName=uqtrack-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# keep finished jobs in slurmctld for 1 h: the snakemake plugin polls with squeue
MinJobAge=3600
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS $LAYOUT RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
CHANGED=0
if ! cmp -s "$NEW_CONF" "$CONF_DIR/slurm.conf"; then
    cp "$NEW_CONF" "$CONF_DIR/slurm.conf"
    CHANGED=1
fi
rm -f "$NEW_CONF"
chmod 0644 "$CONF_DIR/slurm.conf"
# No cgroup.conf on purpose: Slurm 22.05 (Debian 12) has no CgroupPlugin=disabled,
# and with proctrack/linuxproc + task/none nothing uses cgroups anyway.

# --- daemons --------------------------------------------------------------
if [[ $CHANGED == 1 ]]; then  # restart so a new config takes effect
    for f in "$RUN_DIR/slurmd.pid" "$RUN_DIR/slurmctld.pid"; do
        if pid_alive "$f"; then kill "$(cat "$f")"; sleep 1; fi
    done
fi
if ! pid_alive "$RUN_DIR/slurmctld.pid"; then
    slurmctld   # daemonizes itself, writes SlurmctldPidFile
    for _ in $(seq 50); do [[ -s "$RUN_DIR/slurmctld.pid" ]] && break; sleep 0.1; done
    started slurmctld "$RUN_DIR/slurmctld.pid"
fi
for _ in $(seq 30); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 1; done
if ! pid_alive "$RUN_DIR/slurmd.pid"; then
    slurmd
    for _ in $(seq 50); do [[ -s "$RUN_DIR/slurmd.pid" ]] && break; sleep 0.1; done
    started slurmd "$RUN_DIR/slurmd.pid"
fi

# --- wait for the node ----------------------------------------------------
for _ in $(seq 60); do
    state=$(sinfo -h -N -n "$HOST" -o %T 2>/dev/null | head -n1 || true)
    case "$state" in
        idle|mixed|allocated) break ;;
        down*|drain*|fail*)  # e.g. left over from an earlier config
            scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
done
sinfo
state=$(sinfo -h -N -n "$HOST" -o %T | head -n1)
if [[ "$state" != idle && "$state" != mixed && "$state" != allocated ]]; then
    echo "node $HOST is '$state', not idle; see $LOG_DIR/slurmctld.log and slurmd.log" >&2
    exit 1
fi
echo "SLURM is up: node $HOST ($CPUS CPUs, ${MEM} MB) in partition debug"
