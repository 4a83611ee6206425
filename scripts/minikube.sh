#!/usr/bin/env bash
# docmesh on Minikube, from zero to a smoke-tested mesh. Each step says what it runs.
#
#   scripts/minikube.sh up       start Minikube (Calico for NetworkPolicies, metrics-server for the HPAs)
#   scripts/minikube.sh build    build the four images into Minikube (scripts/images.sh, builder minikube)
#   scripts/minikube.sh deploy   kubectl apply -k k8s/overlays/$DOCMESH_OVERLAY, wait for every rollout
#   scripts/minikube.sh smoke    port-forward; grpcurl list + health; one job end to end (WatchJob to its end)
#   scripts/minikube.sh load     run the load component's ghz Job(s) in the cluster, print their summary
#   scripts/minikube.sh keda     install KEDA (then DOCMESH_OVERLAY=minikube-keda scripts/minikube.sh deploy)
#   scripts/minikube.sh ui       port-forward the dashboards: monitor, Grafana, Prometheus, Alertmanager, Jaeger
#   scripts/minikube.sh down     delete the deployment and stop Minikube (DOCMESH_MINIKUBE_DELETE=1: delete it)
#   scripts/minikube.sh all      up, build, deploy, smoke
#
# Settings (environment):
#   DOCMESH_OVERLAY          k8s/overlays/<name> to deploy (default minikube; minikube-keda needs `keda` first)
#   MINIKUBE_PROFILE         Minikube profile (default docmesh)
#   MINIKUBE_CPUS / MINIKUBE_MEMORY   VM size (default 4 / 8g: the mesh requests ~1.5 CPU and ~1.5 GiB,
#                            monitoring and tracing ~0.3 CPU and ~0.6 GiB, with room for the HPAs to scale out)
#   MINIKUBE_K8S_VERSION     Kubernetes version (default v1.31.4; native gRPC probes and the preStop
#                            sleep action need 1.30 or later)
#   KEDA_VERSION             KEDA release for `keda` (default 2.16.1)
#   DOCMESH_SMOKE_PDF        PDF for `smoke` (default: one generated with ./docmesh generate)
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${MINIKUBE_PROFILE:-docmesh}
OVERLAY=${DOCMESH_OVERLAY:-minikube}
NS=docmesh

say() { printf '\n==> %s\n' "$*"; }
run() { printf '    $ %s\n' "$*"; "$@"; }
die() { printf 'minikube.sh: %s\n' "$*" >&2; exit 1; }
need() {
  local tool=$1 hint=$2
  command -v "$tool" >/dev/null || die "$tool is not installed: $hint"
}
need_cluster() {
  need kubectl "https://kubernetes.io/docs/tasks/tools/"
  kubectl get namespace kube-system >/dev/null 2>&1 \
    || die "no cluster reachable with kubectl (run: scripts/minikube.sh up)"
}

up() {
  need minikube "https://minikube.sigs.k8s.io/docs/start/"
  need kubectl "https://kubernetes.io/docs/tasks/tools/"
  say "starting Minikube profile $PROFILE (Calico enforces the NetworkPolicies; the default CNI ignores them)"
  run minikube start -p "$PROFILE" \
    --cpus="${MINIKUBE_CPUS:-4}" --memory="${MINIKUBE_MEMORY:-8g}" \
    --kubernetes-version="${MINIKUBE_K8S_VERSION:-v1.31.4}" --cni=calico
  say "metrics-server: CPU figures for the processor and worker HPAs (kubectl top, kubectl get hpa)"
  run minikube -p "$PROFILE" addons enable metrics-server
  run kubectl config use-context "$PROFILE"
  run minikube profile "$PROFILE"
}

build() {
  need minikube "https://minikube.sigs.k8s.io/docs/start/"
  say "building docmesh/<service>:dev inside Minikube (scripts/images.sh; no registry involved)"
  DOCMESH_IMAGE_BUILDER=minikube MINIKUBE_PROFILE="$PROFILE" run scripts/images.sh
  run minikube -p "$PROFILE" image ls --format table
}

deploy() {
  need_cluster
  [ -d "k8s/overlays/$OVERLAY" ] || die "no overlay k8s/overlays/$OVERLAY"
  if [ "$OVERLAY" = minikube-keda ] && ! kubectl get crd scaledobjects.keda.sh >/dev/null 2>&1; then
    die "overlay minikube-keda needs KEDA: run scripts/minikube.sh keda first"
  fi
  if [ "$OVERLAY" = minikube-keda ] && kubectl -n "$NS" get hpa worker >/dev/null 2>&1; then
    say "KEDA owns the worker's scaling now: deleting the CPU HPA an earlier deploy left (apply does not prune)"
    run kubectl -n "$NS" delete hpa worker
  fi
  say "applying k8s/overlays/$OVERLAY"
  run kubectl apply -k "k8s/overlays/$OVERLAY"
  say "waiting for every workload to roll out (readiness = the gRPC health probes)"
  run kubectl -n "$NS" rollout status statefulset/orchestrator --timeout=300s
  for d in $(kubectl -n "$NS" get deployments -o name); do
    run kubectl -n "$NS" rollout status "$d" --timeout=300s
  done
  run kubectl -n "$NS" get pods -o wide
}

# port-forward NAME LOCAL REMOTE: background port-forward to a Service, killed on exit
PF_PIDS=()
port_forward() {
  local svc=$1 local_port=$2 remote=$3 log
  log=$(mktemp)
  printf '    $ kubectl -n %s port-forward svc/%s %s:%s &\n' "$NS" "$svc" "$local_port" "$remote"
  kubectl -n "$NS" port-forward "svc/$svc" "$local_port:$remote" >"$log" 2>&1 &
  PF_PIDS+=($!)
  for _ in $(seq 1 50); do
    grep -q "Forwarding from" "$log" && return 0
    kill -0 "${PF_PIDS[-1]}" 2>/dev/null || break
    sleep 0.2
  done
  cat "$log" >&2
  die "port-forward to svc/$svc failed"
}
stop_port_forwards() {
  for p in "${PF_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}

smoke() {
  need_cluster
  need grpcurl "https://github.com/fullstorydev/grpcurl/releases (a single binary)"
  need base64 "coreutils"
  local o_port=${DOCMESH_SMOKE_PORT:-15051} m_port=${DOCMESH_SMOKE_MONITOR_PORT:-15054}
  trap stop_port_forwards EXIT
  say "port-forwarding the orchestrator and the monitor"
  port_forward orchestrator "$o_port" 50051
  port_forward monitor "$m_port" 50054
  local o="localhost:$o_port"

  say "grpcurl list (server reflection)"
  run grpcurl -plaintext "$o" list
  for svc in docmesh.orchestrator.v1.OrchestratorService docmesh.orchestrator.v1.TaskQueueService; do
    grpcurl -plaintext "$o" list | grep -qx "$svc" || die "the orchestrator does not list $svc"
  done

  say "health: the names the readiness probes ask for"
  local h
  h=$(grpcurl -plaintext -d '{"service":"docmesh.orchestrator.v1.OrchestratorService"}' "$o" grpc.health.v1.Health/Check)
  echo "$h"
  [[ $h == *SERVING* ]] || die "orchestrator health is not SERVING"
  h=$(grpcurl -plaintext -d '{"service":"docmesh.monitor.v1.MonitorService"}' "localhost:$m_port" grpc.health.v1.Health/Check)
  echo "$h"
  [[ $h == *SERVING* ]] || die "monitor health is not SERVING"

  local pdf=${DOCMESH_SMOKE_PDF:-}
  if [ -z "$pdf" ]; then
    local gen
    gen=$(mktemp -d)
    say "generating a 3-page PDF (./docmesh generate)"
    run ./docmesh generate --pages=3 --out="$gen" >/dev/null
    pdf=$(find "$gen" -name '*.pdf' | head -n 1)
  fi
  say "SubmitJob $(basename "$pdf") inline (pipeline pdf-standard)"
  local submitted job
  submitted=$(printf '{"filename":"%s","content":"%s"}' "$(basename "$pdf")" "$(base64 -w0 "$pdf")" \
    | grpcurl -plaintext -d @ "$o" docmesh.orchestrator.v1.OrchestratorService/SubmitJob)
  job=$(grep -o '"id": *"job-[0-9A-Z]*"' <<<"$submitted" | head -n 1 | sed 's/.*"\(job-[0-9A-Z]*\)"/\1/')
  [ -n "$job" ] || die "SubmitJob answered no job id: $submitted"
  echo "    job $job"

  say "WatchJob $job to its end"
  local events
  events=$(grpcurl -plaintext -max-time 300 -d "{\"jobId\":\"$job\"}" "$o" docmesh.orchestrator.v1.OrchestratorService/WatchJob)
  grep -o '"jobState": *"[A-Z_]*"' <<<"$events" | uniq
  local last
  last=$(grep -o '"jobState": *"[A-Z_]*"' <<<"$events" | tail -n 1)
  [[ $last == *JOB_STATE_SUCCEEDED* ]] || die "job $job ended as $last"

  say "the result"
  grpcurl -plaintext -d "{\"jobId\":\"$job\"}" "$o" docmesh.orchestrator.v1.OrchestratorService/GetJobResult | head -n 30
  say "mesh status from the monitor"
  grpcurl -plaintext "localhost:$m_port" docmesh.monitor.v1.MonitorService/GetSystemStatus \
    | grep -E '"(name|health|address)"' | head -n 30
  say "smoke test passed"
}

load() {
  need_cluster
  [ -d k8s/components/load ] || die "k8s/components/load is not in this checkout (the load-tests work)"
  local dir rendered jobs
  dir=$(mktemp -d)
  rendered="$dir/rendered.yaml"
  # the load component on top of the deployed overlay, without redeploying the rest
  cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $NS
resources:
  - $PWD/k8s/overlays/$OVERLAY
components:
  - $PWD/k8s/components/load
EOF
  say "rendering the load component with k8s/overlays/$OVERLAY"
  run kubectl kustomize "$dir" -o "$rendered"
  jobs=$(awk '/^kind: Job$/{j=1} j&&/^  name:/{print $2; j=0}' "$rendered")
  [ -n "$jobs" ] || die "the load component renders no Job"
  for j in $jobs; do
    say "job/$j (a Job's pod template cannot change: the old run is deleted first)"
    run kubectl -n "$NS" delete job "$j" --ignore-not-found --wait=true
  done
  say "applying (Jobs and whatever the component adds)"
  run kubectl apply -f "$rendered"
  for j in $jobs; do
    say "waiting for job/$j"
    if ! run kubectl -n "$NS" wait --for=condition=complete "job/$j" --timeout="${DOCMESH_LOAD_TIMEOUT:-900s}"; then
      kubectl -n "$NS" logs "job/$j" --tail=50 || true
      die "job/$j did not complete"
    fi
    say "summary of job/$j"
    run kubectl -n "$NS" logs "job/$j"
  done
  run kubectl -n "$NS" get hpa
}

keda() {
  need_cluster
  local v=${KEDA_VERSION:-2.16.1}
  say "installing KEDA $v (namespace keda)"
  run kubectl apply --server-side -f "https://github.com/kedacore/keda/releases/download/v$v/keda-$v.yaml"
  run kubectl -n keda rollout status deployment/keda-operator --timeout=300s
  run kubectl -n keda rollout status deployment/keda-operator-metrics-apiserver --timeout=300s
  echo "    now: DOCMESH_OVERLAY=minikube-keda scripts/minikube.sh deploy"
}

ui() {
  need_cluster
  trap stop_port_forwards EXIT
  say "port-forwarding the dashboards (Ctrl-C stops)"
  port_forward monitor 9094 9094
  port_forward grafana 3000 3000
  port_forward prometheus 9090 9090
  port_forward alertmanager 9093 9093
  port_forward jaeger 16686 16686
  cat <<EOF
    monitor dashboard  http://localhost:9094/
    Grafana            http://localhost:3000/   (dashboard "docmesh", anonymous viewer)
    Prometheus         http://localhost:9090/targets   /alerts
    Alertmanager       http://localhost:9093/
    Jaeger (traces)    http://localhost:16686/  (service docmesh-orchestrator)
EOF
  wait
}

down() {
  need minikube "https://minikube.sigs.k8s.io/docs/start/"
  if kubectl get namespace "$NS" >/dev/null 2>&1; then
    say "deleting the deployment (the orchestrator's PersistentVolumeClaim goes with the namespace)"
    run kubectl delete -k "k8s/overlays/$OVERLAY" --ignore-not-found --wait=true
  fi
  if [ "${DOCMESH_MINIKUBE_DELETE:-0}" = 1 ]; then
    say "deleting Minikube profile $PROFILE"
    run minikube delete -p "$PROFILE"
  else
    say "stopping Minikube profile $PROFILE (DOCMESH_MINIKUBE_DELETE=1 deletes it)"
    run minikube stop -p "$PROFILE"
  fi
}

case "${1:-}" in
  up) up ;;
  build) build ;;
  deploy) deploy ;;
  smoke) smoke ;;
  load) load ;;
  keda) keda ;;
  ui) ui ;;
  down) down ;;
  all) up; build; deploy; smoke ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
