#!/usr/bin/env bash
# ghz load tests against the local mesh (started here from the runnable jars) or --target.
#   load-tests/run.sh [--target HOST:PORT] [--processor-target HOST:PORT] [--metrics URL,...]
#                     [--out DIR] [--no-html] [SCENARIO ...]
#   load-tests/run.sh --list | --sync-k8s
# SCENARIO is a config name of load-tests/ghz (e.g. get-job, submit-job.protoset); default: all.
# Per scenario, DIR keeps ghz's JSON and HTML and the services' /metrics before and after; then
# DIR/summary.md (RPS, p50/p95/p99, status codes, server CPU-s per 1k calls) and DIR/latency.png.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
GHZ_DIR="$ROOT/load-tests/ghz"
BENCH="$ROOT/load-tests/target/docmesh-bench.jar"

TARGET="" PROCESSOR_TARGET="" METRICS="" OUT="" HTML=1
SCENARIOS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET="$2"; shift 2 ;;
    --processor-target) PROCESSOR_TARGET="$2"; shift 2 ;;
    --metrics) METRICS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no-html) HTML=0; shift ;;
    --list) ls "$GHZ_DIR" | sed -n 's/\.json$//p'; exit 0 ;;
    --sync-k8s)
      rm -f "$ROOT"/k8s/components/load/ghz/*.json
      for f in "$GHZ_DIR"/*.json; do case "$f" in *.protoset.json) ;; *) cp "$f" "$ROOT/k8s/components/load/ghz/" ;; esac; done
      echo "copied into k8s/components/load/ghz (list the files in its kustomization.yaml and jobs.yaml if scenarios changed)"
      exit 0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (--help)"; exit 2 ;;
    *) SCENARIOS+=("$1"); shift ;;
  esac
done

if ! command -v ghz >/dev/null; then
  cat >&2 <<'HINT'
ghz is not installed. Any of:
  go install github.com/bojand/ghz/cmd/ghz@v0.120.0
  brew install ghz
  curl -fsSL https://github.com/bojand/ghz/releases/download/v0.120.0/ghz-linux-x86_64.tar.gz | tar -xz -C ~/.local/bin ghz
(the configs alone are checked without ghz: mvn -pl load-tests -am verify)
HINT
  exit 3
fi

need_build=0
for j in orchestrator processor worker monitor; do [ -f "$ROOT/$j-svc/target/$j-svc.jar" ] || need_build=1; done
[ -f "$BENCH" ] || need_build=1
[ -f "$ROOT/proto/target/generated-resources/protobuf/descriptor-sets/docmesh.protoset" ] || need_build=1
if [ "$need_build" = 1 ]; then
  echo "building the runnable jars (mvn -B -q -DskipTests package)..."
  mvn -B -q -DskipTests package
fi

OUT="${OUT:-$ROOT/load-tests/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT/configs"  # the configs as run (outside $OUT itself, where the report reads every *.json)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ -z "$TARGET" ]; then
  # the local mesh on the usual ports, its data in the results directory
  data="$OUT/mesh-data"; mkdir -p "$data"
  for s in orchestrator processor worker monitor; do
    DOCMESH_DATA_DIR="$data/$s" DOCMESH_LOG_LEVEL=WARN java ${JAVA_OPTS:-} -jar "$ROOT/$s-svc/target/$s-svc.jar" >"$OUT/$s.log" 2>&1 &
    pids+=($!)
  done
  TARGET=localhost:50051 PROCESSOR_TARGET=localhost:50052
  METRICS="${METRICS:-orchestrator=http://localhost:9091/metrics,processor=http://localhost:9092/metrics,worker=http://localhost:9093/metrics,monitor=http://localhost:9094/metrics}"
  # all four answer health, or the one that died says why (e.g. a port already in use)
  for port in 50051 50052 50053 50054; do
    for i in $(seq 1 300); do
      java -cp "$BENCH" dev.docmesh.bench.BenchMain health "localhost:$port" >/dev/null 2>&1 && break
      for k in 0 1 2 3; do
        if ! kill -0 "${pids[$k]}" 2>/dev/null; then
          s=(orchestrator processor worker monitor); echo "${s[$k]} did not start:" >&2
          tail -n 5 "$OUT/${s[$k]}.log" >&2; exit 4
        fi
      done
      [ "$i" -lt 300 ] || { echo "localhost:$port not SERVING in time" >&2; exit 4; }
      sleep 0.2
    done
  done
fi
PROCESSOR_TARGET="${PROCESSOR_TARGET:-${TARGET%:*}:50052}"

scrape() { # every service's /metrics, each after a "# service NAME" line
  local IFS=','
  for m in $METRICS; do
    echo "# service ${m%%=*}"
    curl -sf --max-time 5 "${m#*=}" || true
  done
}

echo "seeding one finished job for GetJob/GetJobResult/WatchJob..."
JOB_ID=$(java -jar "$BENCH" seed "$TARGET" "$GHZ_DIR/small.pdf")
{
  echo "ghz run $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname) ($(nproc) cores), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(ghz --version 2>&1 | head -n 1)"
  echo
  echo "target $TARGET, processor $PROCESSOR_TARGET; load average at start $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
} > "$OUT/run.txt"

# ghz takes format and output from the config file (older versions ignore -O/-o next to --config)
with_output() { # NAME FORMAT -> path of the rendered config with "format" and "output" set
  local f="$OUT/configs/$1.as-$2.json"
  awk -v fmt="$2" -v out="$OUT/$1.$2" 'NR == 1 && /^\{$/ { print; print "  \"format\": \"" fmt "\","; print "  \"output\": \"" out "\","; next } { print }' \
    "$OUT/configs/$1.json" > "$f"
  echo "$f"
}

[ ${#SCENARIOS[@]} -gt 0 ] || mapfile -t SCENARIOS < <(ls "$GHZ_DIR" | sed -n 's/\.json$//p')
for s in "${SCENARIOS[@]}"; do
  [ -f "$GHZ_DIR/$s.json" ] || { echo "no scenario $s (--list)"; exit 2; }
  echo "--- $s"
  # the configs name the usual local ports; point them at the targets and the seeded job
  sed -e "s#dns:///localhost:50052#dns:///$PROCESSOR_TARGET#" -e "s#localhost:50051#$TARGET#" \
      -e "s#localhost:50052#$PROCESSOR_TARGET#" -e "s#@JOB_ID@#$JOB_ID#g" \
      -e "s#\"../../proto/#\"$ROOT/proto/#" "$GHZ_DIR/$s.json" > "$OUT/configs/$s.json"
  scrape > "$OUT/$s.metrics-before"
  ghz --config "$(with_output "$s" json)" || echo "ghz failed on $s (see $OUT/$s.json)"
  scrape > "$OUT/$s.metrics-after"
  if [ "$HTML" = 1 ]; then
    ghz --config "$(with_output "$s" html)" >/dev/null || true
  fi
done

java -jar "$BENCH" report "$OUT"
echo "results: $OUT"
