#!/usr/bin/env bash
# The whole test suite: unit tests (surefire) and integration tests against real servers on
# loopback (failsafe, it/). Installs the Debian packages the integration tests need when missing
# and selects JDK 25. Extra arguments go to Maven (for example -Dit.test=SmtpIT). Ends with the
# list of tests that were skipped; exits with Maven's status.
set -euo pipefail

POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
"$POSTERN_HOME/scripts/install-test-deps.sh"
source "$POSTERN_HOME/scripts/lib/java25.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
# Reports older than this marker belong to earlier runs: the list below ignores them.
started=$(mktemp)
trap 'rm -f "$started"' EXIT
status=0
mvn -B -ntp verify "$@" || status=$?
# A green run also says what did not run (root-only, tmpfs-only, benchmarks, assumptions).
echo "---- tests skipped in this run ----"
python3 "$POSTERN_HOME/scripts/lib/skipped-tests.py" "$POSTERN_HOME" --newer "$started" || true
exit "$status"
