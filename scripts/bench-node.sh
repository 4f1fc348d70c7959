#!/usr/bin/env bash
# Benchmark (not a test): the Postern node alone (role all, Maildir spool, a private slapd), under
# SESSIONS concurrent smtp-source processes, each sending EACH messages of BENCH_SIZE bytes (one
# SMTP session per message) to its own user, after a warm-up of WARM messages per process. Prints
# delivered msg/s and the node's and the host's CPU per message. For quick A/B comparisons of two
# builds (POSTERN_JAR), run in alternation: this machine's noise is large, so only repeated pairs
# say anything. BENCH_TRACE=SECONDS: `perf trace -s` on the node for that long during the timed load
# (syscall counts and times per thread, in WORK/trace.txt; printed summed over the delivery
# threads). Loopback only; stops by itself.
# Usage: [POSTERN_JAR=...] [POSTERN_EXTRA_YAML="delivery: { threads: 2 }"] [BENCH_SIZE=1024] [BENCH_TRACE=8] scripts/bench-node.sh [sessions=10] [each=2000] [warm=1000] [users=1000]
# Needs root, slapd, postfix (smtp-source); perf for BENCH_TRACE. Build gateway/target/postern.jar first.
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
SESSIONS=${1:-10}
EACH=${2:-2000}
WARM=${3:-1000}
USERS=${4:-1000}
SIZE=${BENCH_SIZE:-1024}
[ "$SESSIONS" -le "$USERS" ] || { echo "sessions must not exceed users" >&2; exit 2; }
WORK=$(mktemp -d /var/tmp/postern-node.XXXXXX)
chmod 755 "$WORK"
trap bench_cleanup EXIT
python3 "$POSTERN_HOME/ldif/generate.py" "$USERS" > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"
POSTERN_BENCH_JVM="-Xmx512m" bench_postern "$WORK/postern"
PID=${BENCH_PIDS[-1]}
# load EACH: the smtp-source load (scripts/lib/bench-servers.sh)
load() { bench_smtp_load "$SESSIONS" "$1" "$SIZE" 600; }
load "$WARM"
C0=$(proc_cpu "$PID"); H0=$(host_cpu); T0=$(date +%s.%N)
if [ -n "${BENCH_TRACE:-}" ]; then
  perf trace -s -p "$PID" -o "$WORK/trace.txt" -- sleep "$BENCH_TRACE" >/dev/null 2>&1 &
  TRACER=$!
fi
load "$EACH"
T1=$(date +%s.%N); C1=$(proc_cpu "$PID"); H1=$(host_cpu)
[ -z "${TRACER:-}" ] || wait "$TRACER" || true
N=$(( SESSIONS * EACH ))
echo "sessions $SESSIONS size $SIZE messages $N: $(echo "$N / ($T1 - $T0)" | bc -l | cut -d. -f1) msg/s; node $(cpu_per_message "$C0" "$C1" $N); host $(cpu_per_message "$H0" "$H1" $N)"
if [ -n "${BENCH_TRACE:-}" ] && [ -s "$WORK/trace.txt" ]; then
  echo "delivery threads, summed over ${BENCH_TRACE} s of perf trace (calls, total ms, average ms):"
  awk '/events,/ { thread = $1 } thread ~ /^delivery-io/ && $1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ && NF >= 6 {
         calls[$1] += $2; total[$1] += $4 }
       END { for (s in calls) printf "  %-10s %8d %10.0f %8.3f\n", s, calls[s], total[s], total[s] / calls[s] }' \
    "$WORK/trace.txt" | sort -k3 -n -r
fi
