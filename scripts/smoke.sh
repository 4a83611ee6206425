#!/usr/bin/env bash
# Starts each runnable jar on free ports and checks, as a grpcurl user would (buf curl,
# through server reflection), that it lists its services, answers health SERVING and
# serves /metrics; then stops it with SIGTERM and checks it exits 143 (SIGTERM, hooks done)
# after logging a clean stop (clean="true": no in-flight call had to be cancelled).
set -euo pipefail
cd "$(dirname "$0")/.."
BUF="${BUF:-$PWD/.ci/.tools/node_modules/.bin/buf}"
command -v "$BUF" >/dev/null || BUF=buf

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

check() {
  local svc="$1" expect="$2"
  local gp mp log pid
  gp=$(free_port); mp=$(free_port); log=$(mktemp)
  DOCMESH_GRPC_PORT=$gp DOCMESH_METRICS_PORT=$mp DOCMESH_SHUTDOWN_GRACE=5s \
    DOCMESH_DATA_DIR="$(mktemp -d)" java -jar "$svc-svc/target/$svc-svc.jar" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if [[ "$("$BUF" curl --protocol grpc --http2-prior-knowledge "http://127.0.0.1:$gp/grpc.health.v1.Health/Check" 2>/dev/null)" == *SERVING* ]]; then
      break
    fi
    sleep 0.2
  done
  # (outputs are captured first: grep -q closing a pipe early would fail the pipeline)
  local services metrics
  services=$("$BUF" curl --protocol grpc --http2-prior-knowledge --list-services "http://127.0.0.1:$gp")
  grep -qx "$expect" <<<"$services" \
    || { echo "FAIL $svc: reflection does not list $expect"; cat "$log"; kill $pid; exit 1; }
  [[ "$("$BUF" curl --protocol grpc --http2-prior-knowledge "http://127.0.0.1:$gp/grpc.health.v1.Health/Check")" == *'"SERVING"'* ]] \
    || { echo "FAIL $svc: health"; cat "$log"; kill $pid; exit 1; }
  local details
  details=$("$BUF" curl --protocol grpc --http2-prior-knowledge -d '{"file_containing_symbol":"google.rpc.ErrorInfo"}' \
    "http://127.0.0.1:$gp/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
  [[ "$details" == *fileDescriptorResponse* ]] \
    || { echo "FAIL $svc: reflection does not serve google.rpc.ErrorInfo"; cat "$log"; kill $pid; exit 1; }
  metrics=$(curl -sf "http://127.0.0.1:$mp/metrics")
  grep -q '^grpc_server_handled_total{' <<<"$metrics" \
    || { echo "FAIL $svc: /metrics"; cat "$log"; kill $pid; exit 1; }
  kill -TERM $pid
  local code=0
  wait $pid || code=$?
  # a JVM stopped by SIGTERM exits 143 (128 + 15) once its shutdown hook has returned; anything
  # else (1, 2, 137 after a forced kill) is a failed stop
  [[ $code -eq 143 || $code -eq 0 ]] || { echo "FAIL $svc: exit status $code after SIGTERM"; cat "$log"; exit 1; }
  grep -q "docmesh $svc stopped .*clean=\"true\"" "$log" \
    || { echo "FAIL $svc: no clean stop (in-flight calls had to be cancelled, or no stop logged)"; cat "$log"; exit 1; }
  echo "ok $svc ($expect on :$gp, metrics on :$mp)"
  rm -f "$log"
}

check orchestrator docmesh.orchestrator.v1.OrchestratorService
check processor docmesh.processor.v1.ProcessorService
check worker docmesh.worker.v1.WorkerService
check monitor docmesh.monitor.v1.MonitorService
