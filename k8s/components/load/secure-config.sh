#!/bin/sh
# secure-config.sh IN OUT: a ghz config for a mesh with mutual TLS and tokens (overlay minikube-secure,
# component load-secure), from one that calls a plaintext mesh: "insecure" goes; cacert, cert and key
# name the kubernetes.io/tls Secret mounted at GHZ_TLS_DIR (ca.crt, tls.crt, tls.key); a token from
# GHZ_TOKEN_DIR goes out as "authorization: Bearer ..." (merged into the config's own metadata):
# GHZ_TOKEN_DIR/worker to a processor (port 50052: only the worker role may call Process), else
# GHZ_TOKEN_DIR/client; GHZ_PROTOSET replaces server reflection, which the secure overlay turns off.
# run-scenario.sh calls it; load-tests' GhzConfigsTest runs it on every config and checks the result.
set -eu
IN="$1"
OUT="$2"
: "${GHZ_TLS_DIR:?}" "${GHZ_TOKEN_DIR:?}" "${GHZ_PROTOSET:?}"
ROLE=client
grep -q '^  "host": ".*:50052",$' "$IN" && ROLE=worker
TOKEN=$(tr -d ' \r\n' < "$GHZ_TOKEN_DIR/$ROLE")
[ -n "$TOKEN" ] || { echo "secure-config: $GHZ_TOKEN_DIR/$ROLE is empty" >&2; exit 1; }
HAS_METADATA=0
grep -q '^  "metadata": {$' "$IN" && HAS_METADATA=1
awk -v tls="$GHZ_TLS_DIR" -v token="$TOKEN" -v protoset="$GHZ_PROTOSET" -v has_metadata="$HAS_METADATA" '
  NR == 1 && /^\{$/ {
    print
    print "  \"cacert\": \"" tls "/ca.crt\","
    print "  \"cert\": \"" tls "/tls.crt\","
    print "  \"key\": \"" tls "/tls.key\","
    print "  \"protoset\": \"" protoset "\","
    if (has_metadata == 0) print "  \"metadata\": {\"authorization\": \"Bearer " token "\"},"
    next
  }
  /^  "insecure": true,$/ { next }
  /^  "metadata": \{$/ { print; print "    \"authorization\": \"Bearer " token "\","; next }
  { print }
' "$IN" > "$OUT"
