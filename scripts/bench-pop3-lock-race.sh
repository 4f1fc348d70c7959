#!/usr/bin/env bash
# Reproduces the POP3 lock leak found by bench-pop3-ldap.sh (docs/benchmarks.md, pop3 section):
# one real node, a short pop3.lockLease so that the lock refresher runs every lease/3, and many short
# sessions on disjoint mailboxes (so no -ERR [IN-USE] is legitimate). Prints the client's error count
# and any lock file still on disk once the client has stopped (the node still running).
# Usage: scripts/bench-pop3-lock-race.sh [lease=3s] [seconds=15]
# Needs root and slapd; build first: mvn -B -ntp -q -DskipTests package -pl gateway -am
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
LEASE=${1:-3s}
SECONDS_RUN=${2:-15}
WORK=$(mktemp -d /var/tmp/postern-lockrace.XXXXXX)
chmod 755 "$WORK"
trap bench_cleanup EXIT
mvn -B -ntp -q -pl it -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP="it/target/test-classes:$(cat it/target/bench.classpath)"
python3 ldif/generate.py 8 > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"
POSTERN_POP3_EXTRA="lockLease: $LEASE" bench_postern "$WORK/postern" "cache: { ttl: { login: 0s } }"
# 4 threads on 8 users: thread t only uses users t and t+4, so two sessions never want one mailbox.
"$JAVA_HOME/bin/java" -cp "$CP" io.postern.it.pop3.Pop3Benchmark servers "postern=$POSTERN_POP3" 8 4 "$SECONDS_RUN" \
  'user%05d@example.test' 'user%05d-pw' 2>&1 | grep -v ' retr '
sleep 0.5
echo "lock files left 0.5 s after the client stopped (node still running):"
ls -la --time-style=+%T.%N "$WORK/postern/spool/example.test/" | grep 'pop3.lock' || echo "none"
