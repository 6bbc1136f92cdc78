#!/usr/bin/env bash
# Stop the cluster that .ci/slurm-up.sh started, by the PIDs in its pid files (never by name).
set -u
for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
  if [ -s "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
done
for _ in $(seq 1 20); do
  alive=0
  for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
    if [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then alive=1; fi
  done
  [ "$alive" = 0 ] && break
  sleep 0.5
done
# slurmctld runs as SlurmUser and cannot delete its pid file in /run; a stale one makes
# 'apt-get purge slurmctld' fail (its prerm runs scancel).
rm -f /run/slurmctld.pid /run/slurmd.pid
