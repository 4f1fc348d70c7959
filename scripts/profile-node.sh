#!/usr/bin/env bash
# Profiling (not a test, not a benchmark): where the Postern node's CPU goes per accepted message,
# kernel and Java frames together. One slapd, one node (role all, Maildir spool), smtp-source
# load of SIZE-byte messages over SESSIONS sessions, each to its own user; after a warm-up,
# `perf record -g` samples the node for SECONDS while the load runs, then `perf report` prints the
# top of the flat (self) and inclusive profiles into WORK/perf-*.txt. The JVM keeps frame pointers
# (-XX:+PreserveFramePointer) and writes /tmp/perf-PID.map (jcmd Compiler.perfmap) so that JIT
# frames have names. Loopback only; stops by itself.
# Usage: [BENCH_SIZE=4096] [PROFILE_WARMUP=40 messages per session] [PROFILE_JVM="extra JVM flags"] scripts/profile-node.sh [sessions=50] [seconds=15] [users=1000] [workdir]
# Needs root, slapd, postfix (smtp-source), linux perf; build gateway/target/postern.jar first.
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
SESSIONS=${1:-50}
SECONDS_SAMPLED=${2:-15}
USERS=${3:-1000}
SIZE=${BENCH_SIZE:-4096}
WORK=${4:-$(mktemp -d /var/tmp/postern-profile.XXXXXX)}
trap bench_cleanup EXIT
command -v perf >/dev/null || { echo "linux perf is not installed" >&2; exit 2; }
mkdir -p "$WORK"; chmod 755 "$WORK"
python3 "$POSTERN_HOME/ldif/generate.py" "$USERS" > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"
POSTERN_BENCH_JVM="-Xmx512m -XX:+PreserveFramePointer ${PROFILE_JVM:-}" bench_postern "$WORK/postern"
PID=${BENCH_PIDS[-1]}

# load EACH: the smtp-source load (scripts/lib/bench-servers.sh)
load() { bench_smtp_load "$SESSIONS" "$1" "$SIZE" 300; }

load "${PROFILE_WARMUP:-40}"                   # warm-up per session: JIT, caches
load 100000 & LOADER=$!                        # more than the sampling window needs
sleep 3
C0=$(proc_cpu "$PID"); N0=$(count_files "$WORK/postern/spool")
perf record -F 499 -g -p "$PID" -o "$WORK/perf.data" -- sleep "$SECONDS_SAMPLED" 2> "$WORK/perf-record.err"
N1=$(count_files "$WORK/postern/spool"); C1=$(proc_cpu "$PID")
"$JAVA_HOME/bin/jcmd" "$PID" Compiler.perfmap >/dev/null
pkill -P "$LOADER" smtp-source 2>/dev/null || true
kill "$LOADER" 2>/dev/null || true
echo "messages delivered while sampled: $(( N1 - N0 )); node cpu per message: $(cpu_per_message "$C0" "$C1" $(( N1 - N0 )))"
perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^$' | head -150 > "$WORK/perf-self.txt"
perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' | head -250 > "$WORK/perf-children.txt"
perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^$' | head -60 > "$WORK/perf-threads.txt"
echo "profiles: $WORK/perf-self.txt (self time), $WORK/perf-children.txt (inclusive), $WORK/perf-threads.txt (by thread)"
