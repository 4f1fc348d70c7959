#!/usr/bin/env bash
# Benchmark (not a test), issues 4, 5 and 6: SMTP accept throughput of the real postern jar (durable,
# fsync'd queue; local Maildir delivery) against a private Postfix (queue + virtual(8) Maildir,
# ldap: tables) on the same disk, the same slapd and the same smtp-source load, in one run; plus
# LDAP searches per accepted message at steady state, counted in slapd's stats log and by
# Postern's postern_directory_ldap_round_trips_total, and the disk's fsync rate before and after.
# Usage: [BENCH_ORDER="postfix postern"] [BENCH_SIZE=2048] [BENCH_STRACE=1] [BENCH_WARMUP=messages per process] scripts/bench-accept.sh [messages=8000] [recipients=16] [sessionsPerRecipient=2] [users=1000] [workdir]
# BENCH_SIZE: message size in bytes (smtp-source -l). BENCH_STRACE=1: after the timed Postern run,
# a second, untimed Postern load of the same size under `strace -c -f` counts the node's syscalls
# per delivered message (printed as one "syscalls per message:" line; strace slows the node, so
# that pass is never timed). scripts/bench-side-by-side.sh runs this script repeatedly.
# Needs root, slapd, postfix, postfix-ldap; build first:
#   mvn -B -ntp -q -DskipTests package -pl gateway -am
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
MESSAGES=${1:-8000}
RECIPIENTS=${2:-16}
SESSIONS=${3:-2}
USERS=${4:-1000}
SIZE=${BENCH_SIZE:-2048}
WORK=${5:-$(mktemp -d /var/tmp/postern-accept.XXXXXX)}
# Warm-up per smtp-source process before each timed window: a JVM compiles its hot paths for tens of
# seconds, and a long-running server is measured at its steady state. After 10,000 messages of
# 1 KiB over 10 sessions C2 still compiled 80-300 methods per 5 s and took 16% of the node's CPU;
# after 30,000, 10-60 per 5 s and 2%. BENCH_WARMUP=25 is the first sessions' cold
# figure, 10,000 / RECIPIENTS the third to fifth sessions'. Postfix gets the same warm-up.
WARMUP_EACH=${BENCH_WARMUP:-$(( (30000 + RECIPIENTS - 1) / RECIPIENTS ))}
WARMUP=$(( RECIPIENTS * WARMUP_EACH ))
PER=$(( MESSAGES / RECIPIENTS ))
MESSAGES=$(( PER * RECIPIENTS ))
trap bench_cleanup EXIT
[ -f "$POSTERN_HOME/gateway/target/postern.jar" ] || { echo "build gateway/target/postern.jar first" >&2; exit 2; }
chmod 755 "$WORK"
python3 "$POSTERN_HOME/ldif/generate.py" "$USERS" > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"

recipient() { printf 'user%05d@example.test' $(( 1 + ($1 - 1) * USERS / RECIPIENTS )); }

# send PORT PER_RECIPIENT TAG: RECIPIENTS smtp-source processes in parallel, each to its own user
send() {
  local port=$1 each=$2 tag=$3 r pids=()
  for r in $(seq "$RECIPIENTS"); do
    timeout "${BENCH_CLIENT_TIMEOUT:-180}" smtp-source -s "$SESSIONS" -m "$each" -l "$SIZE" -f load@remote.example.org -M load.example.org \
      -t "$(recipient "$r")" "127.0.0.1:$port" > /dev/null 2> "$WORK/$tag.$r.err" &
    pids+=($!)
  done
  local failed=0
  for r in "${pids[@]}"; do wait "$r" || failed=$((failed + 1)); done
  cat "$WORK/$tag".*.err > "$WORK/$tag.errors"; rm -f "$WORK/$tag".*.err
  echo "$failed"
}

AWAIT_LAST=0
await_files() { # count dirs... : wait until count_files reaches count; give up after 300 s, or
  # after 10 s without a new file (a session smtp-source lost never arrives: the run reports it)
  local want=$1; shift
  local i n last=-1 still=0
  for i in $(seq 3000); do
    n=$(count_files "$@")
    [ "$n" -ge "$want" ] && { AWAIT_LAST=$(now); return 0; }
    if [ "$n" -eq "$last" ]; then still=$((still + 1)); [ "$still" -ge 100 ] && return 1; else still=0; last=$n; AWAIT_LAST=$(now); fi
    sleep 0.1
  done
  return 1
}

now() { date +%s.%N; }
# last_mtime DIR: the modification time of the newest file (when the last delivery landed)
last_mtime() { find "$1" -type f -printf '%T@\n' 2>/dev/null | sort -n | tail -1; }
rate() { awk -v n="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.0f", n / (e - s) }'; }

FSYNC_BEFORE=$(bench_fsync_rate "$WORK/fsync" 3)
LOAD_START=$(loadavg)

# settle: before a timed window, what earlier phases left dirty (the other server's files, slapd's
# stats log, the warm-up) is written out, so that neither server's window pays for it: Postern's
# `syncfs` would write all of it, Postfix's per-file fsync none of it. Then a pause for the disk.
settle() { sync; sleep 2; }

run_postern() {
bench_postern "$WORK/postern"
SW0=$(slapd_searches)
SPOOL=$WORK/postern/spool
send "$POSTERN_MX" "$WARMUP_EACH" pwarm >/dev/null
await_files "$WARMUP" "$SPOOL" || echo "postern warm-up: only $(count_files "$SPOOL") of $WARMUP delivered" >&2
settle
PW=$(count_files "$SPOOL") # the warm-up's files (a session smtp-source lost is missing)
S0=$(slapd_searches); B0=$(slapd_binds); R0=$(slapd_rootdse_reads)
RT0=$(postern_metric "$POSTERN_ADMIN" postern_directory_ldap_round_trips_total)
A0=$(postern_metric "$POSTERN_ADMIN" postern_smtp_messages_accepted_total)
PCPU0=$(proc_cpu "${BENCH_PIDS[-1]}"); PHOST0=$(host_cpu)
T0=$(now)
PFAIL=$(send "$POSTERN_MX" "$PER" pload)
T1=$(now)
S1=$(slapd_searches); B1=$(slapd_binds); R1=$(slapd_rootdse_reads)
RT1=$(postern_metric "$POSTERN_ADMIN" postern_directory_ldap_round_trips_total)
A1=$(postern_metric "$POSTERN_ADMIN" postern_smtp_messages_accepted_total)
await_files $(( PW + MESSAGES )) "$SPOOL" || echo "postern: only $(count_files "$SPOOL") delivered" >&2
T2=$(last_mtime "$SPOOL") # when the last Maildir file landed (a client left hanging does not count)
PDELIVERED=$(( $(count_files "$SPOOL") - PW ))
PCPU=$(cpu_per_message "$PCPU0" "$(proc_cpu "${BENCH_PIDS[-1]}")" "$PDELIVERED")
PHOST=$(cpu_per_message "$PHOST0" "$(host_cpu)" "$PDELIVERED")
LOAD_POSTERN=$(loadavg)
curl -s "http://127.0.0.1:$POSTERN_ADMIN/metrics" > "$WORK/postern.metrics"
kill "${BENCH_PIDS[-1]}"; wait "${BENCH_PIDS[-1]}" 2>/dev/null || true
[ -z "${BENCH_STRACE:-}" ] || strace_postern
}

# strace_postern: a fresh node, warmed up, then MESSAGES more under strace -c -f (all threads);
# counts per delivered message of the calls that matter for durability and hand-offs.
strace_postern() {
bench_postern "$WORK/postern-strace"
local spool=$WORK/postern-strace/spool pid=${BENCH_PIDS[-1]} spid n
send "$POSTERN_MX" "$WARMUP_EACH" swarm >/dev/null
await_files "$WARMUP" "$spool" || true
sleep 2
local sw; sw=$(count_files "$spool")
strace -c -f -q -o "$WORK/strace.txt" -p "$pid" & spid=$!
sleep 2
send "$POSTERN_MX" "$PER" sload >/dev/null
await_files $(( sw + MESSAGES )) "$spool" || true
sleep 1
kill -INT "$spid"; wait "$spid" 2>/dev/null || true
n=$(( $(count_files "$spool") - sw ))
STRACE_LINE=$(awk -v n="$n" '$NF ~ /^(fsync|fdatasync|syncfs|openat|close|statx|stat|lstat|newfstatat|unlink|unlinkat|access|faccessat|faccessat2|rename|renameat|renameat2|link|linkat|write|pwrite64|writev|futex|epoll_wait|epoll_ctl|read|sendto|recvfrom)$/ && $4 ~ /^[0-9]+$/ {
  printf "%s %.2f  ", $NF, $4 / n } END { printf "(%d messages)", n }' "$WORK/strace.txt")
echo "syscalls per message: $STRACE_LINE"
kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_postfix() {
bench_postfix "$WORK/postfix"
PFMAIL=$WORK/postfix/mail
send "$POSTFIX_PORT" "$WARMUP_EACH" fwarm >/dev/null
await_files "$WARMUP" "$PFMAIL" || echo "postfix warm-up: only $(count_files "$PFMAIL") of $WARMUP delivered" >&2
settle
FW=$(count_files "$PFMAIL")
FS0=$(slapd_searches)
FHOST0=$(host_cpu)
F0=$(now)
FFAIL=$(send "$POSTFIX_PORT" "$PER" fload)
F1=$(now)
FS1=$(slapd_searches)
await_files $(( FW + MESSAGES )) "$PFMAIL" || echo "postfix: only $(count_files "$PFMAIL") delivered" >&2
F2=$(last_mtime "$PFMAIL")
FDELIVERED=$(( $(count_files "$PFMAIL") - FW ))
FHOST=$(cpu_per_message "$FHOST0" "$(host_cpu)" "$FDELIVERED")
FS2=$(slapd_searches)
LOAD_POSTFIX=$(loadavg)
postfix -c "$WORK/postfix/etc" stop >/dev/null 2>&1 || true
}

# BENCH_ORDER="postfix postern" runs Postfix first (the second server runs on a warmer, busier machine)
FSYNC_MID=
for server in ${BENCH_ORDER:-postern postfix}; do
  [ -z "$FSYNC_MID" ] || FSYNC_MID=$(bench_fsync_rate "$WORK/fsync" 3)
  "run_$server"; FSYNC_MID=${FSYNC_MID:-first}
done
FSYNC_AFTER=$(bench_fsync_rate "$WORK/fsync" 3)

PACC=$(rate "$MESSAGES" "$T0" "$T1")
if [ -z "${F0:-}" ]; then # BENCH_ORDER=postern: no Postfix figures to compare
  echo "== bench-accept (Postern only): $MESSAGES messages of $SIZE bytes, $(( RECIPIENTS * SESSIONS )) sessions; work dir $WORK"
  echo "Postern: accepted $PACC msg/s, delivered $(rate "$PDELIVERED" "$T0" "$T2") msg/s ($PDELIVERED delivered), failures $PFAIL / $(wc -l < "$WORK/pload.errors")"
  echo "cpu per message: Postern node $PCPU; host while Postern ran $PHOST"
  exit 0
fi
FACC=$(rate "$MESSAGES" "$F0" "$F1")
echo "== bench-accept: $MESSAGES messages of $SIZE bytes (+ warm-up $WARMUP), $RECIPIENTS smtp-source x -s $SESSIONS" \
  "($(( RECIPIENTS * SESSIONS )) sessions), $USERS users in slapd; work dir $WORK"
echo "order: ${BENCH_ORDER:-postern postfix}; load average: start $LOAD_START, after Postern $LOAD_POSTERN, after Postfix $LOAD_POSTFIX"
echo "fsync rate (new 4 KiB file, write, fsync; 1 thread): before $FSYNC_BEFORE/s, between the servers $FSYNC_MID/s, after $FSYNC_AFTER/s"
echo "| server | accepted msg/s (smtp-source wall time) | delivered msg/s (until last Maildir file) | smtp-source failures / error lines |"
echo "| --- | --- | --- | --- |"
echo "| Postern | $PACC | $(rate "$PDELIVERED" "$T0" "$T2") ($PDELIVERED delivered) | $PFAIL / $(wc -l < "$WORK/pload.errors") |"
echo "| Postfix | $FACC | $(rate "$FDELIVERED" "$F0" "$F2") ($FDELIVERED delivered) | $FFAIL / $(wc -l < "$WORK/fload.errors") |"
echo "cpu per message: Postern node $PCPU; host while Postern ran $PHOST; host while Postfix ran $FHOST"
awk -v p="$PACC" -v f="$FACC" 'BEGIN { printf "accept ratio Postern/Postfix: %.2f\n", p / f }'
awk -v p="$(rate "$PDELIVERED" "$T0" "$T2")" -v f="$(rate "$FDELIVERED" "$F0" "$F2")" 'BEGIN { printf "delivered: Postern %d Postfix %d ratio %.2f\n", p, f, p / f }'
awk -v rd=$((R1 - R0)) -v sw=$((S0 - SW0)) -v r="$RECIPIENTS" -v w="$WARMUP" -v s=$((S1 - S0)) -v b=$((B1 - B0)) -v rt=$((RT1 - RT0)) -v a=$((A1 - A0)) -v fs=$((FS1 - FS0)) -v fs2=$((FS2 - FS0)) -v m="$MESSAGES" 'BEGIN {
  printf "Postern warm-up (cold cache, %d recipients, %d messages): slapd SRCH %d\n", r, w, sw
  printf "Postern steady state: %d messages accepted (metric), slapd SRCH %d (%.4f per message; %d of them rootDSE reads of the pool health check), BIND %d, postern_directory_ldap_round_trips_total +%d (%.4f per message)\n", a, s, s / (a ? a : 1), rd, b, rt, rt / (a ? a : 1)
  printf "Postfix (ldap: tables, no cache): slapd SRCH %d while accepting (%.2f per message), %d until delivered (%.2f per message)\n", fs, fs / m, fs2, fs2 / m }'
