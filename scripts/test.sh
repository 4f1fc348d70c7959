#!/usr/bin/env bash
# The whole test suite: unit tests (surefire) and integration tests against real servers on
# loopback (failsafe, it/). Installs the Debian packages the integration tests need when missing
# and selects JDK 25. Extra arguments go to Maven (for example -Dit.test=SmtpIT).
set -euo pipefail

POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
"$POSTERN_HOME/scripts/install-test-deps.sh"
source "$POSTERN_HOME/scripts/lib/java25.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
exec mvn -B -ntp verify "$@"
