#!/usr/bin/env bash
# Benchmark (not a test): per-command latency of ONE SMTP session against the real node (Python
# smtplib, 600 messages of 2 KiB to one cached recipient, the first 100 not counted), with the
# disk's fsync rate before and after: where a lone sender's time per message goes.
# Usage: scripts/bench-smtp-latency.sh
# Needs root and slapd; build first: mvn -B -ntp -q -DskipTests package -pl gateway -am
set -euo pipefail
POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
source "$POSTERN_HOME/scripts/lib/bench-servers.sh"
JAVA_HOME=$(find_java25) || exit 2
WORK=$(mktemp -d /var/tmp/postern-lat.XXXXXX); chmod 755 "$WORK"
trap bench_cleanup EXIT
python3 ldif/generate.py 10 > "$WORK/users.ldif"
bench_slapd "$WORK/slapd" "$WORK/users.ldif"
bench_postern "$WORK/postern"
echo "load average: $(loadavg)"
echo "fsync: $(bench_fsync_rate "$WORK/fsync" 2)/s"
python3 - "$POSTERN_MX" <<'PY'
import smtplib, sys, time, statistics
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=20); s.ehlo("load.example.org")
body = ("Subject: x\r\n\r\n" + ("x" * 76 + "\r\n") * 26).encode()
t = {"mail": [], "rcpt": [], "data": [], "dot": []}
for i in range(600):
    a = time.perf_counter(); s.mail("load@remote.example.org")
    b = time.perf_counter(); s.rcpt("user00001@example.test")
    c = time.perf_counter(); code, _ = s.docmd("DATA")
    d = time.perf_counter(); s.send(body + b".\r\n"); code, msg = s.getreply()
    e = time.perf_counter()
    assert code == 250, (code, msg)
    if i >= 100:
        t["mail"].append(b - a); t["rcpt"].append(c - b); t["data"].append(d - c); t["dot"].append(e - d)
for k, v in t.items():
    v.sort(); print("%-4s p50 %.2f ms  p90 %.2f ms" % (k, 1000 * v[len(v) // 2], 1000 * v[int(len(v) * .9)]))
tot = sum(sum(v) for v in t.values()) / 500
print("per message %.2f ms -> %.0f msg/s" % (1000 * tot, 1 / tot))
s.quit()
PY
echo "fsync: $(bench_fsync_rate "$WORK/fsync" 2)/s"
