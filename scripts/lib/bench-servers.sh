# Sourced by scripts/bench-*.sh: starts private servers on loopback for benchmarks (POSTERN_JAR picks
# the jar, default gateway/target/postern.jar, so that a build during a run does not change it; recipes:
# /work/shared/docs/real-servers.md). Every server's state lives under $WORK; bench_cleanup stops
# what was started here (by pid, never by name). Needs root, slapd, postfix(-ldap), dovecot(-ldap).
BENCH_PIDS=()
BENCH_POSTFIX_DIRS=()

bench_cleanup() {
  local pid dir
  for dir in "${BENCH_POSTFIX_DIRS[@]}"; do postfix -c "$dir/etc" stop >/dev/null 2>&1 || true; done
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

bench_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    [ -z "$(ss -Hltn "sport = :$port")" ] && { echo "$port"; return; }
  done
}

bench_await_port() { # port seconds
  local i
  for i in $(seq $(( $2 * 10 ))); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2; return 1
}

# bench_slapd DIR LDIF -> sets SLAPD_PORT, SLAPD_LOG (log level stats: one "SRCH base=" line per search, one "BIND dn=... method=" line per bind)
bench_slapd() {
  local dir=$1 ldif=$2 ldapi
  mkdir -p "$dir/slapd.d" "$dir/data" "$dir/run"
  SLAPD_PORT=$(bench_free_port)
  SLAPD_LOG=$dir/slapd.log
  sed -e "s|@DIR@|$dir|g" -e "s|@POSTERN@|$POSTERN_HOME/directory-schema/src/main/schema/postern.ldif|" \
    > "$dir/slapd.ldif" <<'LDIF'
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: @DIR@/run/slapd.pid
olcLogLevel: none

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: syncprov

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

include: file:///etc/ldap/schema/nis.ldif

include: file://@POSTERN@

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: dc=example,dc=test
olcRootDN: cn=admin,dc=example,dc=test
olcRootPW: admin-pw
olcDbDirectory: @DIR@/data
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: entryCSN,entryUUID eq
olcDbIndex: uid,mail,posternAlternateAddress eq
olcAccess: to attrs=userPassword by self write by anonymous auth by * none
olcAccess: to * by * read

dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {0}syncprov
olcSpCheckpoint: 100 10
olcSpSessionlog: 1000
LDIF
  slapadd -n0 -F "$dir/slapd.d" -l "$dir/slapd.ldif" >/dev/null
  slapadd -q -n1 -F "$dir/slapd.d" -l "$ldif" >/dev/null
  ldapi="ldapi://$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$dir/run/ldapi")"
  local i try pid
  for try in 1 2 3; do # a port found free can be taken by somebody else before slapd binds it
    slapd -d stats -F "$dir/slapd.d" -h "ldap://127.0.0.1:$SLAPD_PORT/ $ldapi" 2> "$SLAPD_LOG" &
    pid=$!
    BENCH_PIDS+=($pid)
    for i in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      ldapsearch -x -H "$ldapi" -D cn=admin,dc=example,dc=test -w admin-pw -s base -b dc=example,dc=test 1.1 >/dev/null 2>&1 && return 0
      sleep 0.1
    done
    SLAPD_PORT=$(bench_free_port)
  done
  echo "slapd not ready: $(tail -5 "$SLAPD_LOG")" >&2; return 1
}

slapd_searches() { grep -c ' SRCH base=' "$SLAPD_LOG" || true; }
slapd_rootdse_reads() { grep -c ' SRCH base="" scope=0' "$SLAPD_LOG" || true; } # connection-pool health checks
slapd_binds() { grep -c ' BIND dn=.* method=' "$SLAPD_LOG" || true; } # one request logs two BIND lines

# bench_postern HOME [EXTRA_YAML, default $POSTERN_EXTRA_YAML] -> sets POSTERN_MX, POSTERN_POP3, POSTERN_ADMIN (the real jar, `serve`)
bench_postern() {
  local home=$1 extra=${2:-${POSTERN_EXTRA_YAML:-}} try
  mkdir -p "$home"
  for try in 1 2 3; do # a port found free can be taken by somebody else before the node binds it
    bench_postern_once "$home" "$extra" && return 0
    grep -q 'Address already in use' "$home/node.log" || return 1
  done
  return 1
}

bench_postern_once() {
  local home=$1 extra=$2
  POSTERN_MX=$(bench_free_port); POSTERN_POP3=$(bench_free_port); POSTERN_ADMIN=$(bench_free_port)
  cat > "$home/postern.yaml" <<YAML
node: { hostname: mx.example.test, drainTimeout: 2s }
listeners:
  - { name: mx, kind: mx, port: $POSTERN_MX }
  - { name: pop3, kind: pop3, port: $POSTERN_POP3 }
admin: { port: $POSTERN_ADMIN, queueApi: { port: $(bench_free_port) } }
directory:
  urls: [ldap://127.0.0.1:$SLAPD_PORT]
  baseDn: dc=example,dc=test
  bindDn: cn=admin,dc=example,dc=test
  bindPassword: \${env:POSTERN_LDAP_PASSWORD}
domains: [example.test]
queue: { directory: queue }
spool: { root: ${POSTERN_SPOOL:-spool} }
smtp: { maxConnectionsPerClient: 1000 }
pop3: { maxConnectionsPerClient: 1000${POSTERN_POP3_EXTRA:+, $POSTERN_POP3_EXTRA} }
auth: { allowPlaintextOnLoopback: true, throttle: { maxFailuresPerLogin: 1000000, maxFailuresPerNetwork: 1000000, delayAfterFailures: 1000000 } }
$extra
YAML
  (cd "$home" && POSTERN_LDAP_PASSWORD=admin-pw exec "$JAVA_HOME/bin/java" ${POSTERN_BENCH_JVM:--Xmx512m} --enable-native-access=ALL-UNNAMED \
    -Dpostern.home="$home" -jar "${POSTERN_JAR:-$POSTERN_HOME/gateway/target/postern.jar}" serve --config "$home/postern.yaml" \
    > "$home/node.log" 2>&1) &
  BENCH_PIDS+=($!)
  local i
  local pid=${BENCH_PIDS[-1]}
  for i in $(seq 600); do
    grep -q 'event=started' "$home/node.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "postern did not start: $(tail -20 "$home/node.log")" >&2; return 1
}

postern_metric() { # admin-port metric-name-prefix: sum of all series
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '/^#/ { next } { n = $1; sub(/\{.*/, "", n); if (n == m) s += $2 } END { printf "%.0f\n", s }'
}

# bench_fsync_rate DIR SECONDS: new 4 KiB files per second, each written and fsync'd (one thread), like a queue file
bench_fsync_rate() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
d, secs = sys.argv[1], float(sys.argv[2])
os.makedirs(d, exist_ok=True)
data = b"x" * 4096
n, end, start = 0, time.monotonic() + secs, time.monotonic()
while time.monotonic() < end:
    p = os.path.join(d, "f%d" % n)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data); os.fsync(fd); os.close(fd)
    n += 1
el = time.monotonic() - start
for i in range(n):
    os.unlink(os.path.join(d, "f%d" % i))
print("%.0f" % (n / el))
PY
}

# bench_postfix DIR -> sets POSTFIX_PORT: a private Postfix, smtpd on loopback, virtual(8) Maildir delivery
# under DIR/mail, recipients and aliases looked up in the bench slapd (ldap: tables, like Postern does)
bench_postfix() {
  local dir=$1
  POSTFIX_PORT=$(bench_free_port)
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/log" "$dir/mail"
  chmod 755 "$dir"; chown postfix "$dir/data"; chown 5000:5000 "$dir/mail"
  cat > "$dir/etc/ldap-mailbox.cf" <<CF
server_host = ldap://127.0.0.1:$SLAPD_PORT
version = 3
search_base = dc=example,dc=test
query_filter = (&(objectClass=posternMailRecipient)(|(mail=%s)(posternAlternateAddress=%s)))
result_attribute = mail
result_format = %d/%u/
CF
  cat > "$dir/etc/ldap-alias.cf" <<CF
server_host = ldap://127.0.0.1:$SLAPD_PORT
version = 3
search_base = dc=example,dc=test
query_filter = (&(objectClass=posternMailAlias)(mail=%s))
result_attribute = posternForwardingAddress
CF
  cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir/log
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = pf.example.test
mydestination =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = example.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = ldap:$dir/etc/ldap-mailbox.cf
virtual_alias_maps = ldap:$dir/etc/ldap-alias.cf
virtual_uid_maps = static:5000
virtual_gid_maps = static:5000
virtual_transport = virtual
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 200
CF
  cat > "$dir/etc/master.cf" <<CF
127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
  postfix -c "$dir/etc" set-permissions >/dev/null 2>&1 || true
  BENCH_POSTFIX_DIRS+=("$dir")
  script -qc "postfix -c $dir/etc start" /dev/null > "$dir/start.out" || { cat "$dir/start.out" >&2; return 1; }
  bench_await_port "$POSTFIX_PORT" 10
}

count_files() { find "$@" -type f 2>/dev/null | wc -l; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU time in clock ticks (USER_HZ, 100 per second), "user system": of one process (all its
# threads), and of the whole host (every process: the servers, slapd and the load generator).
proc_cpu() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
host_cpu() { awk '/^cpu / { print $2 + $3, $4 }' /proc/stat; }
# cpu_per_message "U0 S0" "U1 S1" MESSAGES: "user X ms + system Y ms"
cpu_per_message() {
  awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "user %.2f ms + system %.2f ms", (y[1] - x[1]) * 10 / n, (y[2] - x[2]) * 10 / n }'
}

# bench_smtp_load SESSIONS EACH SIZE [TIMEOUT=300]: SESSIONS smtp-source processes against the node's
# MX port ($POSTERN_MX), each sending EACH messages of SIZE bytes (one SMTP session per message) to its
# own user (user00001...); returns when all are done.
bench_smtp_load() {
  local sessions=$1 each=$2 size=$3 limit=${4:-300} r pids=()
  for r in $(seq "$sessions"); do
    timeout "$limit" smtp-source -s 1 -m "$each" -l "$size" -f load@remote.example.org -M load.example.org \
      -t "$(printf 'user%05d@example.test' "$r")" "127.0.0.1:$POSTERN_MX" >/dev/null 2>&1 &
    pids+=($!)
  done
  for r in "${pids[@]}"; do wait "$r" || true; done
}
