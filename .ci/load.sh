#!/usr/bin/env bash
# CI for load-tests: every ghz config checked without ghz against the four services started from
# their runnable jars (GhzConfigsTest), then the benchmark harness as a smoke (tiny counts, no
# thresholds) so it cannot rot. `--built`: the reactor's `mvn verify` has just run that test and
# built the jars (as in .ci/run), so only the smoke is left.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
if [ "${1:-}" != "--built" ]; then
  echo "--- load-tests: ghz configs resolve, parse and are answered (no ghz needed)"
  mvn -B -q -pl load-tests -am -Dtest='GhzConfigsTest*' -Dsurefire.failIfNoSpecifiedTests=false verify
fi
echo "--- load-tests: docmesh-bench --smoke"
java -jar load-tests/target/docmesh-bench.jar --smoke --root "$PWD"
echo "--- load-tests done in $(( $(date +%s) - start )) s"
