#!/usr/bin/env bash
# Benchmark (not a test), issue 15: the Postern node against Postfix (postfix-ldap + virtual(8)
# into Maildir), same slapd, same disk, Postfix's smtp-source as load, in one command:
# 4 KiB x 50 sessions and 1 KiB x 10 sessions, delivered msg/s, each workload REPEATS times with
# the order of the two servers alternating (scripts/bench-accept.sh does one run), then the
# medians and their ratio; with BENCH_STRACE=1 a last, untimed pass per workload counts the
# Postern node's syscalls per message under `strace -c -f`.
# Usage: [BENCH_STRACE=1] scripts/bench-side-by-side.sh [repeats=3] [users=10000] [messages50=10000] [messages10=10000]
# The timed windows are long on purpose: at 2,000 messages Postern's window lasts about 2 s, in which
# the C2 compiler is still busy and one scheduling hiccup moves the result by 5-10%.
# Needs root, slapd, postfix, postfix-ldap, strace; build first:
#   mvn -B -ntp -q -DskipTests package -pl gateway -am
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPEATS=${1:-3}
USERS=${2:-10000}
M50=${3:-10000}
M10=${4:-10000}
OUT=$(mktemp -d /var/tmp/postern-sbs.XXXXXX)
echo "== bench-side-by-side: $REPEATS runs per workload, $USERS users, results in $OUT; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

workload() { # name size sessions messages
  local name=$1 size=$2 sessions=$3 messages=$4 i order
  for i in $(seq "$REPEATS"); do
    if [ $(( i % 2 )) -eq 1 ]; then order="postern postfix"; else order="postfix postern"; fi
    BENCH_ORDER=$order BENCH_SIZE=$size BENCH_STRACE= "$POSTERN_HOME/scripts/bench-accept.sh" "$messages" "$sessions" 1 "$USERS" \
      > "$OUT/$name.$i.log" 2>&1 || { echo "run $name.$i failed: $(tail -5 "$OUT/$name.$i.log")" >&2; continue; }
    grep -E '^(order|delivered|cpu per message):' "$OUT/$name.$i.log" | sed "s/^/  $name run $i: /"
  done
  local p f
  p=$(grep -h '^delivered:' "$OUT/$name".*.log | awk '{ print $3 }' | median)
  f=$(grep -h '^delivered:' "$OUT/$name".*.log | awk '{ print $5 }' | median)
  awk -v n="$name" -v p="$p" -v f="$f" 'BEGIN { printf "| %s | %d | %d | %.2f |\n", n, p, f, p / f }' >> "$OUT/table.md"
  if [ -n "${BENCH_STRACE:-}" ]; then
    BENCH_ORDER=postern BENCH_SIZE=$size BENCH_STRACE=1 "$POSTERN_HOME/scripts/bench-accept.sh" "$(( messages / 2 ))" "$sessions" 1 "$USERS" \
      > "$OUT/$name.strace.log" 2>&1 || true
    grep '^syscalls per message:' "$OUT/$name.strace.log" | sed "s/^/$name: /" >> "$OUT/strace.md"
  fi
}

echo "| workload | Postern delivered msg/s (median) | Postfix delivered msg/s (median) | ratio |" > "$OUT/table.md"
echo "| --- | --- | --- | --- |" >> "$OUT/table.md"
: > "$OUT/strace.md"
workload "4KiBx50" 4096 50 "$M50"
workload "1KiBx10" 1024 10 "$M10"
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$OUT/table.md" "$OUT/strace.md"
