#!/usr/bin/env bash
# CI for load-tests: every ghz config checked without ghz against the four services started from
# their runnable jars (GhzConfigsTest), then the benchmark harness as a smoke (tiny counts, no
# thresholds) so it cannot rot, plaintext and then --secure (issue 14: two meshes, TLS + auth off
# and on; the run fails unless the secured mesh refuses plaintext and token-less calls). `--built`:
# the reactor's `mvn verify` has just run that test and built the jars (as in .ci/run), so only the
# smokes are left.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
if [ "${1:-}" != "--built" ]; then
  echo "--- load-tests: ghz configs resolve, parse and are answered (no ghz needed)"
  mvn -B -q -pl load-tests -am -Dtest='GhzConfigsTest*' -Dsurefire.failIfNoSpecifiedTests=false verify
fi
echo "--- load-tests: docmesh-bench --smoke"
java -jar load-tests/target/docmesh-bench.jar --smoke --root "$PWD"
echo "--- load-tests: docmesh-bench --secure --smoke (scripts/dev-certs.sh needs openssl)"
bash .ci/security.sh
java -jar load-tests/target/docmesh-bench.jar --secure --smoke --root "$PWD"
echo "--- load-tests done in $(( $(date +%s) - start )) s"
