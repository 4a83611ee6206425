#!/usr/bin/env bash
# CI: the Kubernetes manifests (issue 10), before `mvn -B verify` runs deploy-tests.
#  - installs Debian's prometheus + prometheus-alertmanager (promtool, amtool) if missing;
#  - renders base and every overlay, alone and with the load component (fails fast; the
#    components render within the overlays, and on their own in deploy-tests);
#  - promtool/amtool on the monitoring component's files;
#  - marks the tools as required, so deploy-tests FAIL instead of skipping the Prometheus and
#    Alertmanager tests (deploy-tests/target/require-prometheus, same as -Ddocmesh.require.prometheus=true).
# The schema checks, cross-checks and the executable-manifests test run in `mvn -B verify`
# (module deploy-tests).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { echo "--- k8s: $* ($(( $(date +%s) - t0 )) s)"; }

command -v kubectl >/dev/null || { echo "k8s: kubectl is needed (kubectl kustomize renders the manifests)"; exit 1; }
missing=()
for tool in promtool:prometheus prometheus:prometheus prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')(apt)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
for t in promtool prometheus prometheus-alertmanager amtool; do
  command -v "$t" >/dev/null || { echo "k8s: $t is still missing after apt-get install"; exit 1; }
done

# The security component's secretGenerator reads scripts/dev-certs.sh output from a gitignored
# directory (no key is ever committed): a clean clone makes it here, as a user would.
secrets=k8s/components/security/secrets
if [ ! -f "$secrets/ca.crt" ]; then
  step "making dev certificates for the security component ($secrets, gitignored)"
  bash .ci/security.sh
  scripts/dev-certs.sh "$secrets" >/dev/null
fi

step "kubectl kustomize: base, overlays"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for d in k8s/base k8s/overlays/*/; do
  kubectl kustomize "$d" >"$out/rendered.yaml" || { echo "k8s: $d does not render"; exit 1; }
  echo "    $d: $(grep -c '^kind:' "$out/rendered.yaml") objects"
done
step "kubectl kustomize: each overlay + the load component (as scripts/minikube.sh load composes them)"
for d in k8s/overlays/*/; do
  mkdir -p "$out/load"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\ncomponents:\n  - %s\n' \
    "$(realpath --relative-to="$out/load" "$d")" "$(realpath --relative-to="$out/load" k8s/components/load)" \
    >"$out/load/kustomization.yaml"
  kubectl kustomize "$out/load" >"$out/rendered.yaml" || { echo "k8s: $d with components/load does not render"; exit 1; }
  echo "    $d + components/load: $(grep -c '^kind:' "$out/rendered.yaml") objects"
done

step "promtool / amtool on the monitoring component"
promtool check config --syntax-only k8s/components/monitoring/prometheus/prometheus.yml
promtool check rules k8s/components/monitoring/prometheus/docmesh-rules.yml
amtool check-config k8s/components/monitoring/alertmanager/alertmanager.yml

mkdir -p deploy-tests/target
touch deploy-tests/target/require-prometheus
step "done (deploy-tests runs in mvn -B verify)"
