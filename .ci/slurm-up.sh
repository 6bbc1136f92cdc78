#!/usr/bin/env bash
# Bring up a real single-node SLURM cluster for tests/test_slurm.py: munge + slurmctld + slurmd
# from Debian's packages, without systemd, cgroups or slurmdbd, with FAKE_GPUS (default 2) fake
# GPUs. Run as root on a throwaway Debian/Ubuntu machine or container; tear down with
# .ci/slurm-down.sh (by PID). Recipe and pitfalls: ../shared/docs/slurm-local.md.
#
# Without slurmdbd, `sacct` does not work: snakemake must poll with `squeue`
# (--slurm-status-command squeue), which sees finished jobs for MinJobAge (600 s here).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
FAKE_GPUS=${FAKE_GPUS:-2}

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

HOST=$(hostname -s)
NCPU=$(nproc)
MEM=$(free -m | awk '/^Mem:/{print int($7*0.9)}')  # MiB, a bit under what is available

# --- munge (Debian's postinst creates the key) -----------------------------------------------
test -s /etc/munge/munge.key || runuser -u munge -- mungekey --create
install -d -o munge -g munge -m 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged  # forks; pid in /run/munge/munged.pid
fi
munge -n | unmunge >/dev/null

# --- fake GPUs: a gres File= must resolve to a character device ------------------------------
GRES_NODE=""
rm -f /etc/slurm/gres.conf
if [ "$FAKE_GPUS" -gt 0 ]; then
  install -d /var/lib/slurm
  for i in $(seq 0 $((FAKE_GPUS - 1))); do ln -sfn /dev/null "/var/lib/slurm/fakegpu$i"; done
  cat > /etc/slurm/gres.conf <<EOF
AutoDetect=off
NodeName=$HOST Name=gpu File=/var/lib/slurm/fakegpu[0-$((FAKE_GPUS - 1))]
EOF
  GRES_NODE="Gres=gpu:$FAKE_GPUS"
fi

# --- slurm.conf ---------------------------------------------------------------------------------
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=ci
SlurmctldHost=$HOST
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# No cgroups: portable to containers and hosts without cgroup delegation (--mem is not enforced).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd: sacct does not work, snakemake polls with squeue.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
# Finished jobs stay visible to 'squeue --states=all' for MinJobAge seconds.
MinJobAge=600
# Seconds between SIGTERM and SIGKILL at a time limit or scancel: time to write a checkpoint.
KillWait=30
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
NodeName=$HOST CPUs=$NCPU RealMemory=$MEM $GRES_NODE State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons --------------------------------------------------------------------------------------
install -d -o slurm -g slurm /var/lib/slurm/slurmctld /var/log/slurm
/usr/sbin/slurmctld -c  # -c: start from a clean state (no stale drain reasons); daemonizes
/usr/sbin/slurmd        # daemonizes
for _ in $(seq 1 60); do
  [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break
  sleep 1
done
sinfo
[ "$(sinfo -h -o %T)" = idle ]
