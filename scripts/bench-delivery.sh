#!/usr/bin/env bash
# Benchmark (not a test): local deliveries per second into Maildir, Postern's LMTP delivery sink
# against Dovecot's LMTP on the same disk in the same run. Usage:
#   scripts/bench-delivery.sh [messages=2000] [concurrency=4] [workdir=$(mktemp -d)]
# Needs dovecot-lmtpd (Debian) and root (Dovecot delivers as uid 65534 here).
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
MESSAGES=${1:-2000}
CONCURRENCY=${2:-4}
WORK=${3:-$(mktemp -d /var/tmp/postern-bench.XXXXXX)}
mvn -B -ntp -q -pl it -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP="it/target/test-classes:gateway/target/classes:$(cat it/target/bench.classpath)"
"$JAVA_HOME/bin/java" -cp "$CP" io.postern.it.delivery.DeliveryBenchmark "$WORK" "$MESSAGES" "$CONCURRENCY"
echo "spools and logs left in $WORK"
