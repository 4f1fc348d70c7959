#!/usr/bin/env bash
# JMH guard of the accept hot path (issue 15): AcceptPathBenchmark (queue and direct modes, 4 KiB,
# 4 threads) and the queue record codec. Not part of the test suite; compare p50/p99 with the
# figures in docs/benchmarks.md ("Hot path guard") before merging a change to queue/ or smtp/.
# Usage: scripts/bench-hot-path.sh [extra JMH arguments, e.g. -wi 1 -i 3 -t 1]
#   -Dpostern.bench.dir is honoured through JAVA_TOOL_OPTIONS (the disk under test).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/java25.sh
JAVA_HOME="$(find_java25)"
export JAVA_HOME
exec mvn -B -ntp -q -Pbench -pl gateway -am test-compile exec:exec -Dexec.skip=true -Dexec.executable=java \
  -Dexec.args="-cp %classpath org.openjdk.jmh.Main AcceptPathBenchmark $*"
