#!/usr/bin/env bash
# Benchmark (not a test), issue 20 "Hand-off": one `front` node handing local mail over LMTP to one,
# then two `delivery` workers on a shared spool (one slapd), against Postfix handing the same load
# to Dovecot LMTP, in one run. smtp-source sends 4 KiB messages over SESSIONS sessions (spread over
# RECIPIENTS users); accepted msg/s = messages / time until the last 250, delivered msg/s =
# messages in Maildirs / time until the last one arrived (at most WAIT s after the load).
# Loopback only; bounded in count (MESSAGES per run) and time (timeouts on every step).
# Before each timed window a warm-up of BENCH_WARMUP messages (default 10,000; 0 for none) brings
# the JVMs to their steady state (JIT) and Postfix/Dovecot to theirs; the window counts only what
# arrives after it. "cpu per message" is the whole host's (every server, slapd, smtp-source).
# Usage: [BENCH_WARMUP=10000] [POSTERN_JAR=...] scripts/bench-handoff.sh [messages=2000] [sessions=50] [recipients=10] [wait=120]
# Needs root, slapd, postfix, postfix-ldap, dovecot; build first:
#   mvn -B -ntp -q -DskipTests package -pl gateway -am
# (or pass POSTERN_JAR=/path/to/postern.jar)
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
MESSAGES=${1:-2000}
SESSIONS=${2:-50}
RECIPIENTS=${3:-10}
WAIT=${4:-120}
USERS=100
PER=$(( MESSAGES / RECIPIENTS )); MESSAGES=$(( PER * RECIPIENTS ))
EACH=$(( SESSIONS / RECIPIENTS )); [ "$EACH" -ge 1 ] || EACH=1
WORK=$(mktemp -d /var/tmp/postern-handoff.XXXXXX)
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
# POSTERN_JAR picks the jar (default gateway/target/postern.jar): a copy is not changed by a build during the run.
JAR=${POSTERN_JAR:-$POSTERN_HOME/gateway/target/postern.jar}
[ -f "$JAR" ] || { echo "build gateway/target/postern.jar first (or set POSTERN_JAR)" >&2; exit 2; }
chmod 755 "$WORK"
python3 "$POSTERN_HOME/ldif/generate.py" "$USERS" > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"

sum_cpu() { local p; for p in "$@"; do proc_cpu "$p"; done | awk '{ u += $1; s += $2 } END { print u + 0, s + 0 }'; }
recipient() { printf 'user%05d@example.test' $(( 1 + ($1 - 1) * USERS / RECIPIENTS )); }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.0f", n / (e - s) }'; }

WARM_PER=$(( ${BENCH_WARMUP:-10000} / RECIPIENTS ))

send() { # port tag [per]: RECIPIENTS smtp-source processes of EACH sessions, PER messages each
  local port=$1 tag=$2 per=${3:-$PER} r pids=() failed=0
  for r in $(seq "$RECIPIENTS"); do
    timeout 300 smtp-source -s "$EACH" -m "$per" -l 4096 -f load@remote.example.org -M load.example.org \
      -t "$(recipient "$r")" "127.0.0.1:$port" > /dev/null 2> "$WORK/$tag.$r.err" &
    pids+=($!)
  done
  for r in "${pids[@]}"; do wait "$r" || failed=$((failed + 1)); done
  # What a failed smtp-source saw (its last lines), kept on stderr: the work folder is removed at exit.
  [ "$failed" -eq 0 ] || tail -n 3 "$WORK/$tag".*.err | sed "s/^/$tag smtp-source: /" >&2
  echo "$failed"
}

count_new() { find "$@" -path '*/new/*' -type f 2>/dev/null | wc -l; } # messages, not maildirsize & co.

await_files() { # want seconds dirs...
  local want=$1 secs=$2 i; shift 2
  for i in $(seq $(( secs * 10 ))); do [ "$(count_new "$@")" -ge "$want" ] && return 0; sleep 0.1; done
  return 1
}

# postern_node HOME ROLE YAML-LISTENERS EXTRA -> starts it, sets NODE_ADMIN
postern_node() {
  local home=$1 role=$2 listeners=$3 extra=$4 pid i
  mkdir -p "$home"
  NODE_ADMIN=$(bench_free_port)
  cat > "$home/postern.yaml" <<YAML
node: { hostname: $role.example.test, role: $role, drainTimeout: 2s }
listeners:
$listeners
admin: { port: $NODE_ADMIN, queueApi: { port: $(bench_free_port) } }
directory:
  urls: [ldap://127.0.0.1:$SLAPD_PORT]
  baseDn: dc=example,dc=test
  bindDn: cn=admin,dc=example,dc=test
  bindPassword: \${env:POSTERN_LDAP_PASSWORD}
domains: [example.test]
queue: { directory: $home/queue }
spool: { root: $WORK/spool-$RUN }
smtp: { maxConnectionsPerClient: 1000 }
$extra
YAML
  (cd "$home" && POSTERN_LDAP_PASSWORD=admin-pw exec "$JAVA_HOME/bin/java" -Xmx384m --enable-native-access=ALL-UNNAMED \
    -Dpostern.home="$home" -jar "$JAR" serve --config "$home/postern.yaml" \
    > "$home/node.log" 2>&1) &
  pid=$!; BENCH_PIDS+=($pid)
  for i in $(seq 600); do
    grep -q 'event=started' "$home/node.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "postern $role did not start: $(tail -20 "$home/node.log")" >&2; return 1
}

run_postern() { # workers
  local workers=$1 w targets="" mx pids_before=${#BENCH_PIDS[@]}
  RUN=w$workers
  for w in $(seq "$workers"); do
    local lmtp; lmtp=$(bench_free_port)
    postern_node "$WORK/$RUN/worker$w" delivery "  - { name: lmtp, kind: lmtp, port: $lmtp }" ""
    targets="$targets${targets:+, }127.0.0.1:$lmtp"
  done
  mx=$(bench_free_port)
  postern_node "$WORK/$RUN/front" front "  - { name: mx, kind: mx, port: $mx }" "outbound: { lmtpTargets: [$targets] }"
  local t0 t1 t2 failed delivered warm=0 front_pid=${BENCH_PIDS[-1]} worker_pids=("${BENCH_PIDS[@]:$pids_before:$workers}")
  if [ "$WARM_PER" -gt 0 ]; then
    send "$mx" "$RUN-warm" "$WARM_PER" >/dev/null
    await_files $(( WARM_PER * RECIPIENTS )) "$WAIT" "$WORK/spool-$RUN" || true
    sleep 2; warm=$(count_new "$WORK/spool-$RUN")
  fi
  local log="$WORK/$RUN/front/node.log" a0 b0 q0
  a0=$(grep -c 'event=accepted' "$log" || true); b0=$(grep -c 'event=delivered-before-reply' "$log" || true); q0=$(grep -c 'event=queued ' "$log" || true)
  local f0 w0 h0; f0=$(proc_cpu "$front_pid"); w0=$(sum_cpu "${worker_pids[@]}"); h0=$(host_cpu)
  t0=$(now); failed=$(send "$mx" "$RUN"); t1=$(now)
  await_files $(( warm + MESSAGES )) "$WAIT" "$WORK/spool-$RUN" || true
  t2=$(now); delivered=$(( $(count_new "$WORK/spool-$RUN") - warm ))
  local cpu="front $(cpu_per_message "$f0" "$(proc_cpu "$front_pid")" "$delivered"); workers $(cpu_per_message "$w0" "$(sum_cpu "${worker_pids[@]}")" "$delivered"); host $(cpu_per_message "$h0" "$(host_cpu)" "$delivered")"
  [ "$delivered" -ge "$MESSAGES" ] || t2=$t1
  local accepted; accepted=$(( $(grep -c 'event=accepted' "$log" || true) - a0 ))
  # Accepted: the front's 250s (a failed smtp-source process sends fewer than MESSAGES).
  echo "postern front + $workers worker(s): accepted $(rate "$accepted" "$t0" "$t1") msg/s," \
    "delivered $(rate "$delivered" "$t0" "$t2") msg/s ($accepted accepted by the front, $delivered in Maildirs; $(( MESSAGES - delivered )) left $WAIT s after the load; warm-up $warm), smtp-source failures $failed," \
    "421s seen by the front $(grep -c 'too many connections' "$log" || true), backoffs $(grep -c 'event=destination-backoff' "$log" || true)," \
    "handed over before the 250 $(( $(grep -c 'event=delivered-before-reply' "$log" || true) - b0 )), queued at the front $(( $(grep -c 'event=queued ' "$log" || true) - q0 ));" \
    "cpu per delivered message: $cpu"
  for w in $(seq $(( ${#BENCH_PIDS[@]} - 1 )) -1 "$pids_before"); do kill "${BENCH_PIDS[$w]}" 2>/dev/null || true; done
  for w in $(seq $(( ${#BENCH_PIDS[@]} - 1 )) -1 "$pids_before"); do wait "${BENCH_PIDS[$w]}" 2>/dev/null || true; done
}

run_postfix_dovecot() {
  local dir=$WORK/pfdc dport users i
  mkdir -p "$dir/base" "$dir/mail"; chmod 755 "$dir"; chmod 777 "$dir/mail"
  dport=$(bench_free_port)
  : > "$dir/users"
  for i in $(seq "$USERS"); do
    printf 'user%05d@example.test:{PLAIN}x:65534:65534::%s/user%05d\n' "$i" "$dir/mail" "$i" >> "$dir/users"
  done
  cat > "$dir/dovecot.conf" <<CONF
protocols = lmtp
base_dir = $dir/base
state_dir = $dir/base/state
log_path = $dir/dovecot.log
ssl = no
listen = 127.0.0.1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $dport
  }
}
service anvil {
  chroot =
}
CONF
  (exec dovecot -F -c "$dir/dovecot.conf" > "$dir/dovecot.out" 2>&1) &
  BENCH_PIDS+=($!)
  bench_await_port "$dport" 15
  bench_postfix "$dir/postfix"
  echo "lmtp      unix  -       -       n       -       -       lmtp" >> "$dir/postfix/etc/master.cf"
  postconf -c "$dir/postfix/etc" -e "virtual_transport = lmtp:inet:127.0.0.1:$dport" \
    "virtual_mailbox_maps = ldap:$dir/postfix/etc/ldap-mailbox.cf" "lmtp_destination_concurrency_limit = 20"
  postfix -c "$dir/postfix/etc" reload >/dev/null 2>&1 || true
  sleep 1
  local t0 t1 t2 failed delivered warm=0 c0
  if [ "$WARM_PER" -gt 0 ]; then
    send "$POSTFIX_PORT" pfdc-warm "$WARM_PER" >/dev/null
    await_files $(( WARM_PER * RECIPIENTS )) "$WAIT" "$dir/mail" || true
    sleep 2; warm=$(count_new "$dir/mail")
  fi
  c0=$(host_cpu)
  t0=$(now); failed=$(send "$POSTFIX_PORT" pfdc); t1=$(now)
  await_files $(( warm + MESSAGES )) "$WAIT" "$dir/mail" || true
  t2=$(now); delivered=$(( $(count_new "$dir/mail") - warm ))
  [ "$delivered" -ge "$MESSAGES" ] || t2=$t1
  echo "postfix -> dovecot lmtp: accepted $(rate "$MESSAGES" "$t0" "$t1") msg/s, delivered $(rate "$delivered" "$t0" "$t2") msg/s" \
    "($delivered of $MESSAGES in Maildirs), smtp-source failures $failed, cpu per message (host) $(cpu_per_message "$c0" "$(host_cpu)" "$delivered"), warm-up $warm"
  postfix -c "$dir/postfix/etc" stop >/dev/null 2>&1 || true
}

echo "== bench-handoff: $MESSAGES messages of 4 KiB per run, $(( EACH * RECIPIENTS )) sessions ($RECIPIENTS smtp-source x -s $EACH), $USERS users in slapd; $(nproc) cores, load $(loadavg)"
for server in ${BENCH_ORDER:-postern1 postern2 postfix}; do
  case $server in
    postern1) run_postern 1 ;;
    postern2) run_postern 2 ;;
    postfix) run_postfix_dovecot ;;
  esac
done
