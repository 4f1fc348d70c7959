#!/usr/bin/env bash
# POP3 benchmark (not part of the build): Postern's POP3 server against Dovecot pop3 on the same
# Maildirs, in the same run, same client. Needs dovecot-core and dovecot-pop3d (Debian).
# Usage: scripts/bench-pop3.sh [users messagesPerUser messageBytes threads secondsPerPhase]
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
mvn -B -ntp -q -pl it -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP="it/target/test-classes:$(cat it/target/bench.classpath)"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx512m -cp "$CP" \
  io.postern.it.pop3.Pop3Benchmark "$@"
