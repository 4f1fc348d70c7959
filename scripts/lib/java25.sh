# Sourced by ./postern and scripts/test.sh: prints the home of a JDK 25 or newer, or explains.
java_feature() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
find_java25() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    if [ "$(java_feature "$candidate")" -ge 25 ] 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "postern: no JDK 25 found (looked at JAVA_HOME and /usr/lib/jvm/*25*); install Temurin 25 or set JAVA_HOME" >&2
  return 1
}
