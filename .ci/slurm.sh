#!/usr/bin/env bash
# A real SLURM for CI: installs Debian's slurmctld, slurmd, slurm-client and munge, starts a single-node cluster on
# this machine, builds the tiny world's fig8 at the smallest size (tests/data/micro.yaml) through profiles/slurm on
# it, in a scratch copy of the workflow, checks that its jobs went through SLURM, and stops every daemon it started, by pid.
# fig8's plan crosses every kind of rule: data, tokenizer, pretraining, anchors, classifiers, generation sweeps,
# scoring, alpha scaling (sbatch jobs) and the figure's numbers and plot (local rules).
#   bash .ci/slurm.sh            (root, or a user with sudo)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
STATE="$(mktemp -d /tmp/lminterp-slurm.XXXXXX)"
$SUDO mkdir -p /etc/slurm /run/munge /var/log/munge /var/lib/munge
$SUDO chown munge:munge /run/munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
    $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    $SUDO chown munge:munge /etc/munge/munge.key && $SUDO chmod 400 /etc/munge/munge.key
fi
# The job step drops SLURM_CONF, so the config sits at SLURM's compiled-in default location. proctrack/linuxproc and
# task/none avoid cgroups; DefMemPerCPU keeps one job from taking the whole node; without accounting the plugin polls
# squeue, and MinJobAge keeps finished jobs in squeue well past its first status check.
[ -e /etc/slurm/slurm.conf ] && $SUDO cp /etc/slurm/slurm.conf "$STATE/slurm.conf.before"
$SUDO tee /etc/slurm/slurm.conf >/dev/null <<CONF
ClusterName=lminterp-ci
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=600
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP
CONF
mkdir -p "$STATE/ctld" "$STATE/d"

PIDS=()
stop() {
    for pid in "${PIDS[@]}"; do $SUDO kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do for _ in $(seq 50); do $SUDO kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; done
    if [ -e "$STATE/slurm.conf.before" ]; then $SUDO cp "$STATE/slurm.conf.before" /etc/slurm/slurm.conf; else $SUDO rm -f /etc/slurm/slurm.conf; fi
    echo "stopped daemons: ${PIDS[*]:-none}"
}
trap stop EXIT
started() {   # wait for a pid file, record the pid
    for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done
    PIDS+=("$($SUDO cat "$1")")
}
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    echo "munged already runs here: using it (not ours to stop)"
else
    $SUDO rm -f /run/munge/lminterp-munged.pid
    $SUDO runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/lminterp-munged.pid
    started /run/munge/lminterp-munged.pid
fi
$SUDO slurmctld
started "$STATE/slurmctld.pid"
$SUDO slurmd
started "$STATE/slurmd.pid"
for _ in $(seq 60); do
    state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1)"
    [ "$state" = "idle" ] && break
    sleep 1
done
sinfo
[ "$state" = "idle" ] || { echo "the node never became idle ($state)"; cat "$STATE/slurmctld.log" "$STATE/slurmd.log"; exit 1; }

WORK="$(mktemp -d /tmp/lminterp-slurm-work.XXXXXX)"
(cd "$ROOT/tests" && "$PY" -c "from pathlib import Path; from test_workflow import copy_workflow; copy_workflow(Path('$WORK'))")
cp "$ROOT/tests/data/micro.yaml" "$WORK/micro.yaml"     # every stage of fig8 at the smallest size that runs
cd "$WORK"
start=$(date +%s)
"$PY" -m snakemake figures/fig8.pdf --configfile micro.yaml --profile "$ROOT/profiles/slurm" \
    --slurm-status-command squeue --slurm-no-account --slurm-init-seconds-before-status-checks 5 \
    --seconds-between-status-checks 5 --jobs 4 --latency-wait 5
echo "fig8 through SLURM: $(( $(date +%s) - start )) s"
test -s figures/fig8.pdf
# every job but the local rules ran as a SLURM job, and finished there
n_slurm=$(grep -c "_job_complete: JobId=[0-9]* done" "$STATE/slurmctld.log" || true)
echo "jobs that SLURM ran: $n_slurm"
[ "$n_slurm" -ge 20 ] || { echo "expected the data, training, generation and scoring jobs to run as SLURM jobs"; exit 1; }
rm -rf "$WORK"
