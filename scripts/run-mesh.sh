#!/usr/bin/env bash
# Starts the four docmesh services from their runnable jars on their usual ports
# (building them first if needed). Ctrl-C stops all four gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=(orchestrator processor worker monitor)
for s in "${SERVICES[@]}"; do
  if [ ! -f "$s-svc/target/$s-svc.jar" ]; then
    echo "building runnable jars (first run only)..."
    mvn -B -q -DskipTests package
    break
  fi
done

pids=()
stop() {
  echo "stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
}
trap stop INT TERM

for s in "${SERVICES[@]}"; do
  java ${JAVA_OPTS:-} -jar "$s-svc/target/$s-svc.jar" &
  pids+=($!)
done
echo "docmesh: orchestrator :50051  processor :50052  worker :50053  monitor :50054 (metrics on 9091-9094)"
wait
