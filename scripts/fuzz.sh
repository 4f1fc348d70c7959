#!/usr/bin/env bash
# Fuzzes each Jazzer target in turn (Jazzer fuzzes one target per JVM) for a set time and prints
# a table of what each reached: libFuzzer's cov (edges of io.postern code covered) and ft
# (features), the inputs run, and whether a finding stopped it. Selects JDK 25 like test.sh.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [Class#method ...]     (default: 60 s, every target)
#
# A finding fails that target's run; Jazzer writes the input that triggers it into the target's
# seed folder, gateway/src/test/resources/<package>/<Class>Inputs/<method>/, where every normal
# build replays it as a regression test. Logs: gateway/target/fuzz/<Class>#<method>.log.
# The corpus Jazzer grows is kept in gateway/.cifuzz-corpus/ (not committed) and reused next run.
set -euo pipefail

POSTERN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$POSTERN_HOME"
source "$POSTERN_HOME/scripts/lib/java25.sh"
JAVA_HOME=$(find_java25) || exit 2
export JAVA_HOME

SECONDS_PER_TARGET=${1:-60}
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [Class#method ...]" >&2
  exit 2
fi
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(
    SmtpFuzzTest#commandLine
    EnvelopeParametersFuzzTest#parameters
    SmtpFuzzTest#lineFramer
    SmtpFuzzTest#dataPath
    SmtpFuzzTest#bdatPath
    Pop3FuzzTest#commandLines
    SaslFuzzTest#exchange
    QueueRecordCodecFuzzTest#decodeArbitraryBytes
    QueueRecordCodecFuzzTest#hostileRecordRoundTrip
    DeliveryReportFuzzTest#hostileEnvelope
  )
fi

LOGS="$POSTERN_HOME/gateway/target/fuzz"
MVN=(mvn -B -ntp -Pfuzz -pl directory-schema,gateway)
echo "fuzz: compiling (mvn -Pfuzz test-compile)"
"${MVN[@]}" -q test-compile
mkdir -p "$LOGS"

rows=()
failed=0
for target in "${TARGETS[@]}"; do
  log="$LOGS/$target.log"
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s (log: ${log#"$POSTERN_HOME"/})"
  status=ok
  # A generous wall-clock cap: an input that hangs the target must not stall the whole run.
  if ! JAZZER_FUZZ=1 timeout --kill-after=30 $((SECONDS_PER_TARGET + 900)) "${MVN[@]}" test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djazzer.max_duration="${SECONDS_PER_TARGET}s" >"$log" 2>&1; then
    status=FAILED
    failed=1
  fi
  # libFuzzer's status lines: "#1234  NEW    cov: 250 ft: 600 corp: ..."; the last one is the final state.
  last=$(grep -aE '^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+cov: ' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 in \2s/p' "$log" | tail -n 1)
  if grep -aqE '^== Java Exception|^== libFuzzer crashing input|Test unit written to' "$log"; then
    finding=$(grep -a -m1 -oE 'FuzzTestFindingException: .*' "$log" | sed -E 's/^FuzzTestFindingException: //' | cut -c1-100 || true)
    status="FINDING: ${finding:-see log}"
  elif [ -z "$last" ] && [ "$status" = ok ]; then
    status="NOT FUZZED (no libFuzzer output; see log)"
    failed=1
  fi
  rows+=("$(printf '%-48s %6s %6s %-22s %s' "$target" "${cov:--}" "${ft:--}" "${runs:--}" "$status")")
done

echo
printf '%-48s %6s %6s %-22s %s\n' target cov ft runs result
for row in "${rows[@]}"; do
  echo "$row"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: findings or failures above; crashing inputs are in the targets' src/test/resources/...Inputs/ folders" >&2
  exit 1
fi
