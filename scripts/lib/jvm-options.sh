# The JVM flags of a Postern node: one place, sourced by the ./postern launcher (bash) and by the
# image's entrypoint (/bin/sh), so both run the same collector and sizing. POSIX sh only.
# Measured choice: docs/benchmarks.md ("JVM flags").
#
#   G1             pauses of a few ms on heaps of this size with no tuning, and compressed oops
#                  (ZGC has none: more heap and RSS for the same sessions).
#   MaxRAMPercentage=50
#                  of the container's memory limit (or the machine's): the other half is for
#                  Netty's direct buffers (capped below), metaspace, code cache and thread stacks.
#   MaxDirectMemorySize
#                  Netty's pooled direct buffers; without it the cap equals the max heap and
#                  heap + direct can exceed the limit (the kernel's OOM kill, not an OOM error).
#   ActiveProcessorCount
#                  from POSTERN_CPU_REQUEST (the chart passes the pod's CPU request, whole cores,
#                  rounded up), at least 2: without a CPU limit the JVM would size GC threads and
#                  Netty's event loops for every core of the node.
#   -Xss512k       thread stacks: the blocking pool's threads are many and shallow.
#
# Environment: POSTERN_MAX_DIRECT_MEMORY (default 256m), POSTERN_CPU_REQUEST (unset: the JVM's own
# count), POSTERN_JAVA_OPTIONS (appended last, so an operator's flag wins; no spaces inside a flag).
postern_jvm_options() {
  opts="-XX:+UseG1GC -XX:MaxRAMPercentage=50 -XX:MaxDirectMemorySize=${POSTERN_MAX_DIRECT_MEMORY:-256m}"
  opts="$opts -Xss512k -XX:+ExitOnOutOfMemoryError"
  opts="$opts --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
  cpus=${POSTERN_CPU_REQUEST:-}
  case "$cpus" in
    ''|0|*[!0-9]*) ;;
    1) opts="$opts -XX:ActiveProcessorCount=2" ;;
    *) opts="$opts -XX:ActiveProcessorCount=$cpus" ;;
  esac
  echo "$opts ${POSTERN_JAVA_OPTIONS:-}"
}
