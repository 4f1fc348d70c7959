#!/usr/bin/env bash
# JMH benchmark of the directory cache: cached resolve latency (p50, p99). Not part of the test suite.
# Usage: scripts/bench-cache.sh [extra JMH arguments, e.g. -wi 2 -i 3]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/java25.sh
JAVA_HOME="$(find_java25)"
export JAVA_HOME
exec mvn -B -ntp -q -Pbench -pl gateway -am test-compile exec:exec -Dexec.skip=true -Dexec.executable=java \
  -Dexec.args="-cp %classpath org.openjdk.jmh.Main CachedResolveBenchmark $*"
