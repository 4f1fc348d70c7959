#!/usr/bin/env bash
# Postfix's accept rate on this machine, for docs/benchmarks.md (queue section): a private
# Postfix instance on a loopback port accepts 2 KiB messages from smtp-source into its queue
# (deliveries held with defer_transports, so only acceptance is measured: smtpd -> cleanup ->
# fsync'd queue file -> 250). Usage: scripts/bench-postfix-accept.sh [SESSIONS] [MESSAGES]
set -euo pipefail
SESSIONS=${1:-16}
MESSAGES=${2:-3000}
DIR=$(mktemp -d /var/tmp/postfix-bench.XXXXXX)
PORT=$((30000 + RANDOM % 20000))
trap 'postfix -c "$DIR/etc" stop >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
mkdir -p "$DIR/etc" "$DIR/queue" "$DIR/data" "$DIR/log"
chmod 755 "$DIR"
chown postfix "$DIR/data"
cat > "$DIR/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $DIR/queue
data_directory = $DIR/data
maillog_file = $DIR/log/maillog
maillog_file_prefixes = $DIR/log
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
alias_maps =
alias_database =
relay_domains = example.net
mynetworks = 127.0.0.0/8
defer_transports = smtp
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 200
CF
cat > "$DIR/etc/master.cf" <<CF
127.0.0.1:$PORT inet n - n - - smtpd
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
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
postfix -c "$DIR/etc" set-permissions >/dev/null 2>&1 || true
script -qc "postfix -c $DIR/etc start" /dev/null >/dev/null
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
START=$(date +%s.%N)
timeout 300 smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l 2048 -f a@example.test -t b@example.net \
  "127.0.0.1:$PORT" >/dev/null
END=$(date +%s.%N)
QUEUED=$(find "$DIR/queue/deferred" "$DIR/queue/active" "$DIR/queue/incoming" -type f 2>/dev/null | wc -l)
awk -v n="$MESSAGES" -v s="$START" -v e="$END" -v c="$SESSIONS" -v q="$QUEUED" \
  'BEGIN { printf "postfix: %d sessions: %.0f messages/s (%d messages, %d in its queue)\n", c, n / (e - s), n, q }'
