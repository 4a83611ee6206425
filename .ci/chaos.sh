#!/usr/bin/env bash
# CI: the failure-simulation suite (chaos module, issue 15). Starts orchestrator, processor and
# worker as separate JVMs from their runnable jars and hurts them one scenario at a time: kill -9,
# SIGTERM (drain), a fault proxy (latency, resets, blackhole), a full disk (tmpfs), slow and
# stopped watchers, 2x overload. Red on any broken invariant; prints the summary table.
# The disk-full scenario mounts a tmpfs: run as root (CI here is), or it reports itself red.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- chaos: failure simulation against the jars as separate JVMs"
start=$(date +%s)
status=0
mvn -B -Pchaos -pl chaos -am -Dtest='ChaosSuiteTest' -Dsurefire.failIfNoSpecifiedTests=false verify || status=$?
if [ -f chaos/target/chaos/summary.txt ]; then
  echo "--- chaos summary (chaos/target/chaos/summary.txt; per-scenario logs beside it)"
  cat chaos/target/chaos/summary.txt
fi
echo "--- chaos step took $(( $(date +%s) - start )) s"
exit $status
