#!/usr/bin/env bash
# Login timing (not part of the build): median time of a login with an unknown user and of one
# with a known user and a wrong password, against a private slapd (issue 19, item 9).
# Usage: scripts/bench-login-timing.sh [attemptsPerKind]
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
mvn -B -ntp -q -pl it -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP="it/target/test-classes:gateway/target/classes:$(cat it/target/bench.classpath)"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx256m -Dpostern.home="$POSTERN_HOME" -cp "$CP" \
  io.postern.it.directory.LoginTimingBenchmark "$@"
