# Sourced by scripts/demo, scripts/test and the launchers in bin/.
# Makes sure the machine has what xsplice needs, and selects JDK 25 whatever `java` is on PATH.

XSPLICE_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export XSPLICE_HOME

xs_say() { printf 'xsplice: %s\n' "$*" >&2; }

xs_apt_install() {
  # $@: Debian package names. Uses the machine's configured apt sources.
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  xs_say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${XS_APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq >&2 || return 1
    XS_APT_UPDATED=1
  fi
  $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

# Build tools the project itself runs (gcc builds the reference hypervisor and test objects;
# readelf/objdump/ld check the ELF writer; make drives the C build).
xs_require_tools() {
  local pkgs=()
  command -v gcc >/dev/null     || pkgs+=(gcc libc6-dev)
  command -v make >/dev/null    || pkgs+=(make)
  command -v readelf >/dev/null || pkgs+=(binutils)
  command -v mvn >/dev/null     || pkgs+=(maven)
  command -v openssl >/dev/null || pkgs+=(openssl)
  if [ ${#pkgs[@]} -gt 0 ]; then xs_apt_install "${pkgs[@]}" || { xs_say "could not install ${pkgs[*]}"; return 1; }; fi
}

xs_java_major() { # $1: JAVA_HOME -> prints the feature version, or nothing
  [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

# JDK 25: $XSPLICE_JAVA_HOME, then $JAVA_HOME, then any JDK 25 under /usr/lib/jvm.
xs_select_jdk() {
  local c
  for c in "${XSPLICE_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/javac" ] || continue
    if [ "$(xs_java_major "$c")" = "25" ]; then
      export JAVA_HOME="$c"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  # Some machines carry a JDK 25 package in their apt sources; Debian 12's own archive does not.
  if apt-cache show temurin-25-jdk >/dev/null 2>&1; then
    xs_apt_install temurin-25-jdk && { xs_select_jdk; return $?; }
  fi
  if apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
    xs_apt_install openjdk-25-jdk-headless && { xs_select_jdk; return $?; }
  fi
  xs_say "no JDK 25 found (looked at \$XSPLICE_JAVA_HOME, \$JAVA_HOME and /usr/lib/jvm); set XSPLICE_JAVA_HOME"
  return 1
}

xs_setup() {
  xs_require_tools && xs_select_jdk
}

# Maven, quiet and batch by default.
xs_mvn() {
  (cd "$XSPLICE_HOME" && mvn -B -ntp "$@")
}

# Builds the command-line distribution if it is missing or older than any source file.
xs_ensure_built() {
  # Tests run the launchers against the classes they were just built with.
  [ -n "${XSPLICE_CLASSPATH:-}" ] && return 0
  local jar="$XSPLICE_HOME/xsplice-cli/target/xsplice-cli.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$XSPLICE_HOME" -path '*/src/*' -newer "$jar" -type f -print -quit 2>/dev/null)" ] \
     || [ "$XSPLICE_HOME/pom.xml" -nt "$jar" ]; then
    xs_say "building (first use or sources changed)..."
    xs_mvn -q -DskipTests install >&2 || { xs_say "build failed"; return 1; }
    # The jar plugin keeps an unchanged jar's old time stamp; without this every run would rebuild.
    touch "$jar"
  fi
}

# Runs a tool's main class with the distribution's class path.
xs_run_java() { # $1: main class, rest: args
  local main=$1; shift
  exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -cp "${XSPLICE_CLASSPATH:-$XSPLICE_HOME/xsplice-cli/target/xsplice-cli.jar:$XSPLICE_HOME/xsplice-cli/target/lib/*}" \
    "$main" "$@"
}
