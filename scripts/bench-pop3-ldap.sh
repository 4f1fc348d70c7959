#!/usr/bin/env bash
# Benchmark (not a test), issue 8: POP3 logins per second and RETR throughput of the real postern
# jar against Dovecot 2.3 pop3, on the SAME Maildirs and the SAME slapd (Dovecot: passdb ldap with
# auth_bind = yes), in one run, with one client (io.postern.it.pop3.Pop3Benchmark, client mode).
# Five servers: Postern with its default login cache (cache.ttl.login 2m), Postern with
# cache.ttl.login 0s (every login binds), Postern with cache.ttl.login 10ms (remembered logins past
# their TTL, the path of every mailbox polled less often than ttl.login), Dovecot without auth cache (its default), Dovecot with
# auth_cache (2 min). Afterwards, LDAP operations per login are counted in slapd's stats log.
# Usage: [BENCH_REVERSE=1] scripts/bench-pop3-ldap.sh [users=32] [messagesPerUser=20] [messageBytes=50000] [threads=4] [secondsPerPhase=10] [workdir]
# Needs root, slapd, dovecot-pop3d, dovecot-ldap; build first:
#   mvn -B -ntp -q -DskipTests package -pl gateway -am
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME
USERS=${1:-32}
MESSAGES=${2:-20}
SIZE=${3:-50000}
THREADS=${4:-4}
SECONDS_PER_PHASE=${5:-10}
WORK=${6:-$(mktemp -d /var/tmp/postern-pop3.XXXXXX)}
trap bench_cleanup EXIT
[ -f gateway/target/postern.jar ] || { echo "build gateway/target/postern.jar first" >&2; exit 2; }
mvn -B -ntp -q -pl it -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP="it/target/test-classes:$(cat it/target/bench.classpath)"
chmod 755 "$WORK"
python3 ldif/generate.py "$USERS" > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"

# The same Maildirs for everybody: CRLF files in new/ with ,S= (as Postern's MDA writes them),
# owned by nobody because Dovecot will not read mail as root (Postern, as root, reads them too).
SPOOL=$WORK/spool
python3 - "$SPOOL" "$USERS" "$MESSAGES" "$SIZE" <<'PY'
import os, sys
spool, users, messages, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
body = ("x" * 76 + "\r\n") * max(1, size // 78)
for u in range(1, users + 1):
    box = os.path.join(spool, "example.test", "user%05d" % u)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(box, sub), exist_ok=True)
    for m in range(messages):
        data = ("From: bench@example.test\r\nSubject: message %d\r\n\r\n" % m + body).encode()
        with open(os.path.join(box, "new", "%d.M%dP%d.bench,S=%d" % (1700000000 + m, m, u, len(data))), "wb") as f:
            f.write(data)
PY
chown -R 65534:65534 "$SPOOL"

POSTERN_SPOOL=$SPOOL bench_postern "$WORK/postern-cached"
P1=$POSTERN_POP3
POSTERN_SPOOL=$SPOOL bench_postern "$WORK/postern-nocache" "cache: { ttl: { login: 0s } }"
P2=$POSTERN_POP3
# Remembered logins older than ttl.login (but within maxStale) are still compared with the password
# before the directory is asked again: this node shows that path on (almost) every login.
POSTERN_SPOOL=$SPOOL bench_postern "$WORK/postern-ttl10ms" "cache: { ttl: { login: 10ms } }"
P3=$POSTERN_POP3

# dovecot NAME PORT EXTRA: a private Dovecot pop3 on the shared Maildirs and the bench slapd
dovecot_start() {
  local name=$1 port=$2 extra=$3 dir=$WORK/$1
  mkdir -p "$dir/run" "$dir/state"; chmod 755 "$dir"
  cat > "$dir/ldap.conf.ext" <<CF
uris = ldap://127.0.0.1:$SLAPD_PORT
dn = cn=admin,dc=example,dc=test
dnpass = admin-pw
auth_bind = yes
base = dc=example,dc=test
scope = subtree
pass_filter = (&(objectClass=posternMailRecipient)(mail=%u))
pass_attrs = mail=user
CF
  chmod 644 "$dir/ldap.conf.ext"
  cat > "$dir/dovecot.conf" <<CF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$SPOOL/%d/%n
mail_uid = 65534
mail_gid = 65534
pop3_uidl_format = %f
$extra
passdb {
  driver = ldap
  args = $dir/ldap.conf.ext
}
userdb {
  driver = static
  args = allow_all_users=yes home=$SPOOL/%d/%n
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $port
  }
  service_count = 0
  process_min_avail = 2
}
service imap-login {
  inet_listener imap {
    port = 0
  }
}
CF
  dovecot -F -c "$dir/dovecot.conf" > "$dir/dovecot.out" 2>&1 &
  BENCH_PIDS+=($!)
  bench_await_port "$port" 20 || { cat "$dir/dovecot.out" "$dir/dovecot.log" >&2; return 1; }
}
D1=$(bench_free_port); dovecot_start dovecot "$D1" ""
D2=$(bench_free_port); dovecot_start dovecot-cached "$D2" "auth_cache_size = 10M
auth_cache_ttl = 2 min"

LOAD_START=$(loadavg)
SERVERS="postern=$P1,postern-nocache=$P2,postern-ttl10ms=$P3,dovecot=$D1,dovecot-cached=$D2"
[ -z "${BENCH_REVERSE:-}" ] || SERVERS="dovecot-cached=$D2,dovecot=$D1,postern-ttl10ms=$P3,postern-nocache=$P2,postern=$P1"
"$JAVA_HOME/bin/java" -Xmx512m -cp "$CP" io.postern.it.pop3.Pop3Benchmark servers "$SERVERS" "$USERS" "$THREADS" "$SECONDS_PER_PHASE" \
  'user%05d@example.test' 'user%05d-pw' | tee "$WORK/results.md"
LOAD_END=$(loadavg)

# LDAP operations per login (slapd's stats log), 200 sequential logins per server after the run
per_login() {
  local port=$1 s0 b0
  s0=$(slapd_searches); b0=$(slapd_binds)
  python3 - "$port" "$USERS" <<'PY'
import poplib, sys
port, users = int(sys.argv[1]), int(sys.argv[2])
for i in range(200):
    u = 1 + i % users
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user("user%05d@example.test" % u); p.pass_("user%05d-pw" % u); p.stat(); p.quit()
PY
  sleep 0.5
  awk -v s=$(( $(slapd_searches) - s0 )) -v b=$(( $(slapd_binds) - b0 )) 'BEGIN { printf "%.2f SRCH + %.2f BIND", s / 200, b / 200 }'
}
echo "== bench-pop3-ldap: $USERS users x $MESSAGES messages of ~$SIZE octets, $THREADS client threads, ${SECONDS_PER_PHASE} s per phase; work dir $WORK"
echo "order: $(echo "$SERVERS" | sed "s/=[0-9]*//g"); load average: start $LOAD_START, end $LOAD_END"
echo "LDAP operations per login (200 sequential logins over $USERS users, slapd stats log):"
echo "  postern (login cache 2m): $(per_login "$P1")"
echo "  postern (cache.ttl.login 0s): $(per_login "$P2")"
echo "  postern (cache.ttl.login 10ms: remembered logins past their TTL): $(per_login "$P3")"
echo "  dovecot (no auth cache): $(per_login "$D1")"
echo "  dovecot (auth_cache 2 min): $(per_login "$D2")"
