#!/bin/sh
# In-cluster ghz run of one scenario: run-scenario.sh NAME (a config of load-tests/ghz).
# The configs name hosts as on a laptop (localhost:<usual port>); here each becomes its Service.
# Results: /results/NAME.json (+ .html), printed to the log between markers, and kept for
# RESULTS_HOLD seconds so `kubectl cp` can fetch them from the still-running pod.
# With GHZ_TLS_DIR set (component load-secure: mutual TLS + token, no reflection), the config is
# rewritten by secure-config.sh and grpcurl gets the same certificate, token and protoset.
set -eu
S="$1"
OUT=/results
CFG=/ghz
mkdir -p "$OUT"
sed -e 's#dns:///localhost:50052#dns:///processor-headless:50052#' \
    -e 's#localhost:50051#orchestrator:50051#' -e 's#localhost:50052#processor:50052#' \
    -e 's#localhost:50053#worker:50053#' -e 's#localhost:50054#monitor:50054#' \
    "$CFG/$S.json" > "/tmp/$S.json"
if [ -n "${GHZ_TLS_DIR:-}" ]; then
  sh /scripts/secure-config.sh "/tmp/$S.json" "/tmp/$S.secure.json"
  mv "/tmp/$S.secure.json" "/tmp/$S.json"
  # grpcurl's options from here on (the positional parameters: POSIX sh has no arrays)
  set -- -cacert "$GHZ_TLS_DIR/ca.crt" -cert "$GHZ_TLS_DIR/tls.crt" -key "$GHZ_TLS_DIR/tls.key" \
    -H "authorization: Bearer $(tr -d ' \r\n' < "$GHZ_TOKEN_DIR/client")" -protoset "$GHZ_PROTOSET"
else
  set -- -plaintext
fi

if grep -q '@JOB_ID@' "/tmp/$S.json"; then
  # one finished job to read: the small PDF of submit-job.json through pdf-standard
  B64=$(sed -n 's/.*"content": "\([^"]*\)".*/\1/p' "$CFG/submit-job.json" | head -n 1)
  JOB=$(grpcurl "$@" -d "{\"content\":\"$B64\",\"filename\":\"seed.pdf\",\"pipeline\":\"pdf-standard\",\"requestId\":\"ghz-seed-$S-$(date +%s)\"}" \
    orchestrator:50051 docmesh.orchestrator.v1.OrchestratorService/SubmitJob | sed -n 's/.*"id": "\(job-[^"]*\)".*/\1/p' | head -n 1)
  [ -n "$JOB" ] || { echo "seed job was not created"; exit 1; }
  i=0
  until grpcurl "$@" -d "{\"jobId\":\"$JOB\"}" orchestrator:50051 docmesh.orchestrator.v1.OrchestratorService/GetJob \
      | grep -q JOB_STATE_SUCCEEDED; do
    i=$((i + 1)); [ "$i" -lt 120 ] || { echo "seed job $JOB did not succeed"; exit 1; }
    sleep 1
  done
  sed -i "s/@JOB_ID@/$JOB/g" "/tmp/$S.json"
fi

# ghz takes format and output from the config file (older versions ignore -O/-o next to --config)
for fmt in json html; do
  [ "$fmt" = json ] || [ "${GHZ_HTML:-1}" = 1 ] || continue
  awk -v fmt="$fmt" -v out="$OUT/$S.$fmt" 'NR == 1 && /^\{$/ { print; print "  \"format\": \"" fmt "\","; print "  \"output\": \"" out "\","; next } { print }' \
    "/tmp/$S.json" > "/tmp/$S.$fmt.json"
  ghz --config "/tmp/$S.$fmt.json"
done
echo "=== ghz $S json begin"
cat "$OUT/$S.json"
echo
echo "=== ghz $S json end"
sleep "${RESULTS_HOLD:-0}"
