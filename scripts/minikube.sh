#!/usr/bin/env bash
# docmesh on Minikube, from zero to a smoke-tested mesh. Each step says what it runs.
#
#   scripts/minikube.sh up       start Minikube (Calico for NetworkPolicies, metrics-server for the HPAs)
#   scripts/minikube.sh build    build the four images into Minikube (scripts/images.sh, builder minikube)
#   scripts/minikube.sh deploy   kubectl apply -k k8s/overlays/$DOCMESH_OVERLAY, wait for every rollout
#   scripts/minikube.sh smoke    port-forward; grpcurl list + health; one job end to end (WatchJob to its end)
#   scripts/minikube.sh load [SCENARIO...]   ghz in the cluster (k8s/components/load): build docmesh-ghz:dev,
#                                run each Job to its report, copy /results, print the summary
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
#   DOCMESH_LOAD_OUT         results directory for `load` (default load-tests/results/k8s-<UTC time>)
#   DOCMESH_LOAD_TIMEOUT     seconds a scenario may take to its report (default 900)
#   DOCMESH_LOAD_START_TIMEOUT  how long a ghz pod may take to start running (default 300s)
#
# A secure overlay (one using k8s/components/security, e.g. minikube-secure): `smoke` calls with the
# client certificate and tokens of scripts/dev-certs.sh (k8s/components/security/secrets) and the
# services' protoset (reflection is off there), and checks that plaintext and token-less calls are
# refused; `load` adds k8s/components/load-secure to the ghz Jobs (client certificate, tokens, protoset).
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

# The deployed overlay runs mutual TLS + tokens (the security component).
SECRETS=k8s/components/security/secrets
PROTOSET=k8s/components/load-secure/protoset/docmesh.protoset
secure_overlay() {
  grep -q 'components/security' "k8s/overlays/$OVERLAY/kustomization.yaml" 2>/dev/null
}
need_secrets() {
  local f
  for f in ca.crt client.crt client.key client.token operator.token; do
    [ -f "$SECRETS/$f" ] || die "$SECRETS/$f is missing: the overlay was deployed from scripts/dev-certs.sh $SECRETS"
  done
}
bench_jar() {
  [ -f load-tests/target/docmesh-bench.jar ] || run mvn -B -q -pl load-tests -am -DskipTests package
}
# the services' descriptors (and grpc.health.v1) for grpcurl and ghz, where reflection is off
make_protoset() {
  bench_jar
  run java -cp load-tests/target/docmesh-bench.jar dev.docmesh.bench.Protoset "$PROTOSET" \
    || { run mvn -B -q -pl load-tests -am -DskipTests package \
         && run java -cp load-tests/target/docmesh-bench.jar dev.docmesh.bench.Protoset "$PROTOSET"; }
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
  # grpcurl's options: plaintext, or (secure overlay) mutual TLS with the client certificate, the
  # protoset, and a token read from the environment by grpcurl itself (-expand-headers), so that the
  # commands this prints carry no token
  local g=(-plaintext) gm=(-plaintext)
  if secure_overlay; then
    need_secrets
    make_protoset
    local tls=(-cacert "$SECRETS/ca.crt" -cert "$SECRETS/client.crt" -key "$SECRETS/client.key" -protoset "$PROTOSET")
    DOCMESH_SMOKE_TOKEN=$(cat "$SECRETS/client.token") DOCMESH_SMOKE_OPERATOR_TOKEN=$(cat "$SECRETS/operator.token")
    export DOCMESH_SMOKE_TOKEN DOCMESH_SMOKE_OPERATOR_TOKEN
    g=("${tls[@]}" -expand-headers -H 'authorization: Bearer ${DOCMESH_SMOKE_TOKEN}')
    gm=("${tls[@]}" -expand-headers -H 'authorization: Bearer ${DOCMESH_SMOKE_OPERATOR_TOKEN}')

    say "secured: a plaintext call is refused, a call without a token is Unauthenticated, one with the client token is answered"
    local out
    if out=$(grpcurl -plaintext -max-time 10 "$o" grpc.health.v1.Health/Check 2>&1); then
      die "the orchestrator answered a plaintext call: $out"
    fi
    echo "    plaintext: refused ($(head -n 1 <<<"$out"))"
    out=$(grpcurl "${tls[@]}" -max-time 10 "$o" docmesh.orchestrator.v1.OrchestratorService/ListPipelines 2>&1 || true)
    grep -q 'Unauthenticated' <<<"$out" || die "ListPipelines without a token did not answer Unauthenticated: $out"
    echo "    no token: Unauthenticated"
    run grpcurl "${g[@]}" "$o" docmesh.orchestrator.v1.OrchestratorService/ListPipelines | grep -c '"name"' \
      || die "ListPipelines with the client token failed"
  else
    say "grpcurl list (server reflection)"
    run grpcurl -plaintext "$o" list
    for svc in docmesh.orchestrator.v1.OrchestratorService docmesh.orchestrator.v1.TaskQueueService; do
      grpcurl -plaintext "$o" list | grep -qx "$svc" || die "the orchestrator does not list $svc"
    done
  fi

  say "health: the names the readiness probes ask for"
  local h
  h=$(grpcurl "${g[@]}" -d '{"service":"docmesh.orchestrator.v1.OrchestratorService"}' "$o" grpc.health.v1.Health/Check)
  echo "$h"
  [[ $h == *SERVING* ]] || die "orchestrator health is not SERVING"
  h=$(grpcurl "${gm[@]}" -d '{"service":"docmesh.monitor.v1.MonitorService"}' "localhost:$m_port" grpc.health.v1.Health/Check)
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
    | grpcurl "${g[@]}" -d @ "$o" docmesh.orchestrator.v1.OrchestratorService/SubmitJob)
  job=$(grep -o '"id": *"job-[0-9A-Z]*"' <<<"$submitted" | head -n 1 | sed 's/.*"\(job-[0-9A-Z]*\)"/\1/')
  [ -n "$job" ] || die "SubmitJob answered no job id: $submitted"
  echo "    job $job"

  say "WatchJob $job to its end"
  local events
  events=$(grpcurl "${g[@]}" -max-time 300 -d "{\"jobId\":\"$job\"}" "$o" docmesh.orchestrator.v1.OrchestratorService/WatchJob)
  grep -o '"jobState": *"[A-Z_]*"' <<<"$events" | uniq
  local last
  last=$(grep -o '"jobState": *"[A-Z_]*"' <<<"$events" | tail -n 1)
  [[ $last == *JOB_STATE_SUCCEEDED* ]] || die "job $job ended as $last"

  say "the result"
  grpcurl "${g[@]}" -d "{\"jobId\":\"$job\"}" "$o" docmesh.orchestrator.v1.OrchestratorService/GetJobResult | head -n 30
  say "mesh status from the monitor"
  grpcurl "${gm[@]}" "localhost:$m_port" docmesh.monitor.v1.MonitorService/GetSystemStatus \
    | grep -E '"(name|health|address)"' | head -n 30
  say "smoke test passed"
}

# The load component's scenarios: one suspended Job ghz-NAME a config k8s/components/load/ghz/NAME.json
# (deploy-tests keep the two lists equal).
load_scenarios() {
  local f
  for f in k8s/components/load/ghz/*.json; do basename "$f" .json; done
}

LOGS_PID= LOAD_DIR=
load() {
  need_cluster
  need minikube "https://minikube.sigs.k8s.io/docs/start/"
  [ -d k8s/components/load ] || die "k8s/components/load is not in this checkout"
  [ -d "k8s/overlays/$OVERLAY" ] || die "no overlay k8s/overlays/$OVERLAY"
  local all chosen=("$@") s dir rendered out
  all=$(load_scenarios)
  [ ${#chosen[@]} -gt 0 ] || mapfile -t chosen <<<"$all"
  for s in "${chosen[@]}"; do
    grep -qx "$s" <<<"$all" || die "no scenario '$s' (one of: $(tr '\n' ' ' <<<"$all"))"
  done
  local components=(k8s/components/load)
  if secure_overlay; then
    need_secrets
    kubectl -n "$NS" get secret docmesh-client-tls docmesh-load-tokens >/dev/null \
      || die "the client Secrets of the security component are not deployed: scripts/minikube.sh deploy first"
    say "secure overlay: the ghz Jobs get the client certificate, the load tokens and the protoset (k8s/components/load-secure)"
    make_protoset
    components+=(k8s/components/load-secure)
  fi
  dir=$(mktemp -d)
  LOAD_DIR=$dir
  trap 'rm -rf "$LOAD_DIR"; [ -z "$LOGS_PID" ] || kill "$LOGS_PID" 2>/dev/null || true' EXIT

  say "building docmesh-ghz:dev (ghz + grpcurl) inside Minikube"
  run minikube -p "$PROFILE" image build -t docmesh-ghz:dev k8s/components/load

  # The deployed overlay with the load component (kustomize takes relative paths only); only the
  # component's objects are applied (label app.kubernetes.io/component=load), the mesh stays as deployed.
  cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$dir" "k8s/overlays/$OVERLAY")
components:
$(for c in "${components[@]}"; do echo "  - $(realpath --relative-to="$dir" "$c")"; done)
EOF
  rendered="$dir/rendered.yaml"
  say "rendering k8s/overlays/$OVERLAY with ${components[*]}"
  run kubectl kustomize "$dir" -o "$rendered"
  say "the ghz Jobs of an earlier run go first (a Job's pod template cannot change)"
  run kubectl -n "$NS" delete job -l app.kubernetes.io/name=ghz --ignore-not-found --wait=true
  say "applying the load component (suspended Jobs, ghz ConfigMaps, ghz -> processor NetworkPolicies)"
  run kubectl apply -f "$rendered" -l app.kubernetes.io/component=load

  out=${DOCMESH_LOAD_OUT:-load-tests/results/k8s-$(date -u +%Y%m%dT%H%M%SZ)}
  mkdir -p "$out"
  {
    echo "ghz in Minikube (profile $PROFILE, overlay $OVERLAY, context $(kubectl config current-context)), $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "server CPU: n/a here (the services' /metrics are not sampled in the cluster; load-tests/run.sh does it locally)"
  } >"$out/run.txt"
  for s in "${chosen[@]}"; do
    load_one "$s" "$out"
  done

  say "summary (docmesh-bench.jar report: summary.md and latency.png from the ghz JSON)"
  if [ ! -f load-tests/target/docmesh-bench.jar ]; then
    run mvn -B -q -pl load-tests -am -DskipTests package
  fi
  run java -jar load-tests/target/docmesh-bench.jar report "$out"
  cat "$out/summary.md"
  run kubectl -n "$NS" get hpa
}

# load_one NAME OUT: resume job/ghz-NAME, follow its log to the JSON's end, copy /results to OUT
load_one() {
  local s=$1 out=$2 j="ghz-$1" log pod deadline
  log="$out/$s.log"
  say "job/$j: resume, follow the log to '=== ghz $s json end', copy /results"
  run kubectl -n "$NS" patch job "$j" --type=merge -p '{"spec":{"suspend":false}}'
  for _ in $(seq 1 60); do
    pod=$(kubectl -n "$NS" get pods -l "job-name=$j" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
    [ -z "$pod" ] || break
    sleep 1
  done
  [ -n "$pod" ] || die "job/$j started no pod in 60 s: $(kubectl -n "$NS" describe job "$j" | tail -n 5)"
  printf '    $ kubectl -n %s logs -f job/%s   (into %s)\n' "$NS" "$j" "$log"
  kubectl -n "$NS" logs -f "job/$j" --pod-running-timeout="${DOCMESH_LOAD_START_TIMEOUT:-300s}" >"$log" 2>&1 &
  LOGS_PID=$!
  deadline=$(( $(date +%s) + ${DOCMESH_LOAD_TIMEOUT:-900} ))
  # the pod stays up RESULTS_HOLD seconds after the marker (for kubectl cp): stop following there
  until grep -q "^=== ghz $s json end" "$log"; do
    kill -0 "$LOGS_PID" 2>/dev/null || break
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 2
  done
  kill "$LOGS_PID" 2>/dev/null || true
  wait "$LOGS_PID" 2>/dev/null || true
  LOGS_PID=
  if ! grep -q "^=== ghz $s json end" "$log"; then
    tail -n 30 "$log" >&2
    kubectl -n "$NS" get pods -l "job-name=$j" -o wide >&2 || true
    die "job/$j ended (or timed out) without its report; its log: $log"
  fi
  run kubectl -n "$NS" cp -c ghz "$pod:/results" "$out/$s.results"
  if [ -f "$out/$s.results/$s.json" ]; then
    mv "$out/$s.results"/* "$out/" && rmdir "$out/$s.results"
  else
    echo "    kubectl cp brought no $s.json: the report is taken from the log"
    sed -n "/^=== ghz $s json begin/,/^=== ghz $s json end/p" "$log" | sed '1d;$d' >"$out/$s.json"
  fi
  # its report is here: suspending again ends the pod's RESULTS_HOLD wait and frees its CPU for the next
  run kubectl -n "$NS" patch job "$j" --type=merge -p '{"spec":{"suspend":true}}'
  grep -o '"count": *[0-9]*\|"rps": *[0-9.]*' "$out/$s.json" | head -n 2 | tr '\n' ' '; echo
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
  load) shift; load "$@" ;;
  keda) keda ;;
  ui) ui ;;
  down) down ;;
  all) up; build; deploy; smoke ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
