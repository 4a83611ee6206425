#!/usr/bin/env bash
# Creates what a secured docmesh needs, for local use and for Kubernetes Secrets:
#   ca.crt ca.key                 a private CA (keep ca.key away from the cluster)
#   <service>.crt <service>.key   orchestrator, processor, worker, monitor: server certificate and
#                                 client identity (CN = service; SANs: localhost, 127.0.0.1, the
#                                 Service names in namespace NAMESPACE, processor-headless too)
#   client.crt client.key         a client certificate for the CLI, grpcurl and ghz (CN docmesh-client)
#   tokens.yaml                   DOCMESH_AUTH_TOKENS_FILE: names, roles, SHA-256 of each token
#   tokens.txt                    the plain tokens (mode 600): what clients send as 'Bearer ...'
#   <name>.token                  one plain token per file, for DOCMESH_TOKEN_FILE
# Keys are EC P-256 in PKCS#8 PEM, as grpc-java reads them.
#
# usage: scripts/dev-certs.sh [OUT_DIR] (default dev-certs); NAMESPACE=docmesh DAYS=365 FORCE=1 to overwrite
set -euo pipefail

out="${1:-dev-certs}"
ns="${NAMESPACE:-docmesh}"
days="${DAYS:-365}"
command -v openssl >/dev/null || { echo "dev-certs: openssl is needed (apt-get install -y openssl)" >&2; exit 1; }
if [[ -e "$out/ca.crt" && "${FORCE:-}" != "1" ]]; then
  echo "dev-certs: $out/ca.crt exists; FORCE=1 to make new ones" >&2
  exit 1
fi
mkdir -p "$out"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" -subj "/CN=docmesh dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca.crt"

# issue NAME CN SAN...
issue() {
  local name="$1" cn="$2"; shift 2
  local sans="DNS:localhost,IP:127.0.0.1"
  for s in "$@"; do sans="$sans,DNS:$s"; done
  key "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "/CN=$cn" -out "$out/$name.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$sans" > "$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$out/$name.ext" -out "$out/$name.crt" 2>/dev/null
  rm -f "$out/$name.csr" "$out/$name.ext"
}

names() { # the names a Service is reached by, in namespace $ns
  for n in "$@"; do echo "$n" "$n.$ns" "$n.$ns.svc" "$n.$ns.svc.cluster.local"; done
}
issue orchestrator orchestrator $(names orchestrator)
issue processor processor $(names processor processor-headless)
issue worker worker $(names worker)
issue monitor monitor $(names monitor)
issue client docmesh-client
rm -f "$out/ca.srl"

# tokens: the file holds only SHA-256 hashes; quoted, so YAML never reads a hash as a number
: > "$out/tokens.txt"
echo "tokens:" > "$out/tokens.yaml"
for entry in client:client operator:operator worker:worker monitor:monitor; do
  name="${entry%%:*}"; roles="${entry#*:}"
  token="$(openssl rand -hex 24)"
  printf '%s' "$token" > "$out/$name.token"
  echo "$name=$token" >> "$out/tokens.txt"
  sha="$(printf '%s' "$token" | openssl dgst -sha256 -r | cut -d' ' -f1)"
  printf '  - name: %s\n    roles: [%s]\n    sha256: "%s"\n' "$name" "$roles" "$sha" >> "$out/tokens.yaml"
done
chmod 644 "$out"/*.crt "$out/tokens.yaml"

cat <<EOT
dev-certs: wrote $out/ (CA, orchestrator, processor, worker, monitor, client, tokens)
run a service with, e.g.:
  DOCMESH_TLS_CERT_FILE=$out/orchestrator.crt DOCMESH_TLS_KEY_FILE=$out/orchestrator.key \\
  DOCMESH_TLS_CA_FILE=$out/ca.crt DOCMESH_AUTH_TOKENS_FILE=$out/tokens.yaml \\
  DOCMESH_AUTH_CERT_ROLES=worker=worker,monitor=monitor
call it with:
  grpcurl -cacert $out/ca.crt -cert $out/client.crt -key $out/client.key \\
    -H "authorization: Bearer \$(cat $out/client.token)" localhost:50051 docmesh.orchestrator.v1.OrchestratorService/ListPipelines
EOT
