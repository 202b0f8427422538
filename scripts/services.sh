#!/usr/bin/env bash
# Local backing services for Nexus Graph: PostgreSQL, Redis and Neo4j, run as plain
# background processes with all state below $NEXUS_DATA_DIR (no Docker, no systemd).
#
#   scripts/services.sh start|stop|status|restart [postgres|redis|neo4j ...]
#
# No service names means all three. `start` is idempotent; `status` exits non-zero when
# any requested service is down. Works on a fresh machine: as root, missing packages are
# installed with apt; as a normal user the servers simply run as that user.
#
# Configuration (environment, defaults in brackets):
#   NEXUS_DATA_DIR          [<repo>/.nexus]
#   NEXUS_PG_PORT           [5432]    NEXUS_PG_USER [nexus]  NEXUS_PG_PASSWORD [nexus]
#   NEXUS_PG_DB             [nexus]   NEXUS_PG_EXTRA_DBS ["" - space separated]
#   NEXUS_REDIS_PORT        [6379]
#   NEXUS_NEO4J_VERSION     [5.26.30] NEXUS_NEO4J_BOLT_PORT [7687]
#   NEXUS_NEO4J_PASSWORD    [nexus-dev-password] (user neo4j; applied on first start only)
#   NEXUS_NEO4J_HEAP        [512m]    NEXUS_NEO4J_PAGECACHE [256m]
#   NEXUS_NEO4J_LIB_CACHE   [${XDG_CACHE_HOME:-$HOME/.cache}/nexus-graph/neo4j-<version>/lib]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"

abspath() { # absolute path without requiring it to exist
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

DATA_DIR=$(abspath "${NEXUS_DATA_DIR:-$REPO_ROOT/.nexus}")

PG_PORT=${NEXUS_PG_PORT:-5432}
PG_USER=${NEXUS_PG_USER:-nexus}
PG_PASSWORD=${NEXUS_PG_PASSWORD:-nexus}
PG_DB=${NEXUS_PG_DB:-nexus}
PG_EXTRA_DBS=${NEXUS_PG_EXTRA_DBS:-}

REDIS_PORT=${NEXUS_REDIS_PORT:-6379}

NEO4J_VERSION=${NEXUS_NEO4J_VERSION:-5.26.30}
NEO4J_BOLT_PORT=${NEXUS_NEO4J_BOLT_PORT:-7687}
NEO4J_PASSWORD=${NEXUS_NEO4J_PASSWORD:-nexus-dev-password}
NEO4J_HEAP=${NEXUS_NEO4J_HEAP:-512m}
NEO4J_PAGECACHE=${NEXUS_NEO4J_PAGECACHE:-256m}
NEO4J_LIB_CACHE=$(abspath "${NEXUS_NEO4J_LIB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-graph/neo4j-$NEO4J_VERSION/lib}")
NEO4J_START_TIMEOUT=180
NEO4J_STOP_TIMEOUT=60

REDIS_DIR=$DATA_DIR/redis
NEO4J_HOME=$DATA_DIR/neo4j

ALL_SERVICES=(postgres redis neo4j)

# ---------------------------------------------------------------------------- helpers

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Path as shown to humans: relative to the repository when below it.
show_path() {
    case $1 in
        "$REPO_ROOT"/*) printf '%s\n' "${1#"$REPO_ROOT"/}" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

# One status line: "<service>  <state>  <details...>"
line() {
    local svc=$1 state=$2
    shift 2
    printf '%-9s %-6s %s\n' "$svc" "$state" "$*"
}

check_port_number() {
    if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
        die "$1 must be a TCP port number, got '$2'"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Who holds a port (best effort, for error messages).
port_owner() {
    local out=""
    if command -v ss >/dev/null 2>&1; then
        out=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n1 || true)
    fi
    printf '%s\n' "${out:-unknown process}"
}

port_conflict() { # service port env-var
    die "$1: port $2 on 127.0.0.1 is already in use by something that is not this script's $1 \
($(port_owner "$2")). Stop it or choose another port with $3=<port>."
}

# Process $1 is alive and its command line contains every further argument.
pid_matches() {
    local pid=$1 cmdline
    shift
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    local needle
    for needle in "$@"; do
        [[ $cmdline == *"$needle"* ]] || return 1
    done
}

read_pid() {
    if [[ -s $1 ]]; then tr -dc '0-9' <"$1"; fi
}

wait_pid_gone() { # pid seconds
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.2
    done
    return 1
}

APT_UPDATED=0
apt_install() {
    is_root || return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    say "installing $* with apt-get ..."
    # Keep the packages' own init scripts from starting Debian's default instances
    # (they would grab the default ports); only done when no policy is in place yet.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || rc=$?
    if ((rc != 0 && APT_UPDATED == 0)); then
        say "apt-get install failed; running apt-get update and retrying ..."
        APT_UPDATED=1
        rc=0
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || rc=$?
    fi
    ((created_policy)) && rm -f "$policy"
    return "$rc"
}

# ---------------------------------------------------------------------------- postgres

PG_BIN=""
PG_BASE=$DATA_DIR/postgres
PG_DATA=$PG_BASE/data
PG_LOG=$PG_BASE/log/postgres.log
PG_SOCKET_DIR=$PG_BASE/run
PG_SUPERUSER=$(id -un)

pg_url() { printf 'postgresql://%s:***@127.0.0.1:%s/%s' "$PG_USER" "$PG_PORT" "$PG_DB"; }

pg_find_bin() {
    local candidate
    candidate=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
        sort -V | tail -n1 || true)
    if [[ -n $candidate ]]; then
        PG_BIN=$(dirname "$candidate")
    elif command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        PG_BIN=$(dirname "$(command -v pg_ctl)")
    elif command -v pg_config >/dev/null 2>&1 && [[ -x $(pg_config --bindir)/postgres ]]; then
        PG_BIN=$(pg_config --bindir)
    else
        PG_BIN=""
    fi
    [[ -n $PG_BIN ]]
}

pg_ensure_installed() {
    pg_find_bin && return 0
    if is_root; then
        apt_install postgresql || die "postgres: could not install PostgreSQL with apt-get"
        pg_find_bin || die "postgres: installed PostgreSQL but found no /usr/lib/postgresql/*/bin/postgres"
    else
        die "postgres: PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); install the postgresql package"
    fi
}

# Run a PostgreSQL command as the user that owns the cluster (postgres refuses root).
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Resolve where the cluster lives (read-only: used by status and stop too).
pg_setup_paths() {
    local key
    is_root && PG_SUPERUSER=postgres
    if [[ -L $PG_BASE ]]; then
        PG_BASE=$(readlink -f "$PG_BASE")
        PG_DATA=$PG_BASE/data
        PG_LOG=$PG_BASE/log/postgres.log
        PG_SOCKET_DIR=$PG_BASE/run
    fi
    # Unix socket paths are limited to ~107 bytes; fall back to /tmp for deep checkouts.
    if ((${#PG_SOCKET_DIR} + 16 > 100)); then
        key=$(printf '%s' "$PG_BASE" | sha1sum | cut -c1-12)
        PG_SOCKET_DIR=/tmp/nexus-pg-$key
    fi
    return 0
}

# Before a start as root: the postgres user must exist and be able to reach the data
# area. A checkout below a private home directory (e.g. /root) is not reachable, so the
# cluster then lives in a system location with a symlink where it would normally be.
pg_choose_location() {
    is_root || return 0
    id postgres >/dev/null 2>&1 ||
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    mkdir -p "$DATA_DIR"
    if [[ ! -e $PG_BASE ]] && ! runuser -u postgres -- test -x "$DATA_DIR" 2>/dev/null; then
        local key alt
        key=$(printf '%s' "$DATA_DIR" | sha1sum | cut -c1-12)
        alt=/var/lib/nexus-graph/$key/postgres
        say "postgres: $DATA_DIR is not reachable by the postgres user; keeping the cluster in $alt"
        mkdir -p "$alt"
        chmod 755 /var/lib/nexus-graph /var/lib/nexus-graph/"$key"
        ln -s "$alt" "$PG_BASE"
    fi
}

pg_prepare_dirs() {
    mkdir -p "$PG_BASE" "$(dirname "$PG_LOG")" "$PG_SOCKET_DIR"
    if is_root; then
        chown postgres:postgres "$PG_BASE" "$(dirname "$PG_LOG")" "$PG_SOCKET_DIR"
        [[ -e $PG_LOG ]] && chown postgres:postgres "$PG_LOG"
        runuser -u postgres -- test -w "$PG_BASE" ||
            die "postgres: the postgres user cannot write to $PG_BASE"
    fi
    chmod 755 "$PG_SOCKET_DIR"
}

pg_running() {
    [[ -f $PG_DATA/PG_VERSION ]] || return 1
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_write_conf() {
    local conf=$PG_DATA/nexus.conf
    as_pg tee "$conf" >/dev/null <<EOF
# Written by scripts/services.sh on every start; edit the environment, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 200
shared_buffers = 128MB
fsync = on
password_encryption = 'scram-sha-256'
log_timezone = 'UTC'
timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    grep -q "^include_if_exists = 'nexus.conf'" "$PG_DATA/postgresql.conf" ||
        printf "\n# Nexus Graph settings (generated)\ninclude_if_exists = 'nexus.conf'\n" |
        as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_initdb() {
    local locale_args=(--no-locale)
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        locale_args=(--locale=C.UTF-8)
    fi
    say "postgres: initialising a new cluster in $(show_path "$PG_DATA") ..."
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" --encoding=UTF8 "${locale_args[@]}" \
        --auth-local=peer --auth-host=scram-sha-256 >"$PG_BASE/initdb.log" 2>&1 || {
        cat "$PG_BASE/initdb.log" >&2
        die "postgres: initdb failed"
    }
}

sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

pg_psql() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
        -U "$PG_SUPERUSER" -d postgres
}

pg_provision() {
    local db sql
    sql="SELECT format('CREATE ROLE %I', $(sql_literal "$PG_USER"))
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $(sql_literal "$PG_USER")) \\gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', $(sql_literal "$PG_USER"), $(sql_literal "$PG_PASSWORD")) \\gexec
"
    # shellcheck disable=SC2086 # word splitting of the database list is intended
    for db in $PG_DB $PG_EXTRA_DBS; do
        sql+="SELECT format('CREATE DATABASE %I OWNER %I', $(sql_literal "$db"), $(sql_literal "$PG_USER"))
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = $(sql_literal "$db")) \\gexec
"
    done
    pg_psql <<<"$sql" || die "postgres: creating role/databases failed (see $(show_path "$PG_LOG"))"
}

pg_ready_line() {
    local extra=""
    [[ -n $PG_EXTRA_DBS ]] && extra="  (+ databases: $PG_EXTRA_DBS)"
    line postgres "$1" "$(pg_url)  log: $(show_path "$PG_LOG")$extra"
}

postgres_start() {
    check_port_number NEXUS_PG_PORT "$PG_PORT"
    pg_ensure_installed
    pg_choose_location
    pg_setup_paths
    if pg_running; then
        pg_provision
        pg_ready_line ready
        return 0
    fi
    port_open "$PG_PORT" && port_conflict postgres "$PG_PORT" NEXUS_PG_PORT
    pg_prepare_dirs
    [[ -f $PG_DATA/PG_VERSION ]] || pg_initdb
    pg_write_conf
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start || {
        warn "---- last 40 lines of $PG_LOG ----"
        tail -n 40 "$PG_LOG" >&2 || true
        die "postgres: failed to start"
    }
    pg_provision
    pg_ready_line ready
}

postgres_stop() {
    if ! pg_find_bin; then
        line postgres down "(not installed)"
        return 0
    fi
    pg_setup_paths
    if pg_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop || die "postgres: failed to stop"
        line postgres stopped ""
    else
        line postgres down "(was not running)"
    fi
}

postgres_status() {
    if pg_find_bin && pg_setup_paths && pg_running && port_open "$PG_PORT"; then
        line postgres up "$(pg_url)  pid $(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null)"
    else
        line postgres down "(port $PG_PORT)"
        return 1
    fi
}

# ---------------------------------------------------------------------------- redis

REDIS_DATA=$REDIS_DIR/data
REDIS_LOG=$REDIS_DIR/redis.log
REDIS_PIDFILE=$REDIS_DIR/redis.pid

redis_url() { printf 'redis://127.0.0.1:%s/0' "$REDIS_PORT"; }

redis_ping() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r -t 2 reply <&3 || exit 1
        [[ $reply == "+PONG"* ]]
    ' _ "$1" 2>/dev/null
}

redis_pid() {
    local pid dir
    pid=$(read_pid "$REDIS_PIDFILE")
    if pid_matches "$pid" redis-server; then
        printf '%s\n' "$pid"
        return 0
    fi
    # Pid file lost: our redis-server is the one whose working directory is our data dir.
    [[ -d $REDIS_DATA ]] || return 1
    for dir in /proc/[0-9]*; do
        [[ $(cat "$dir/comm" 2>/dev/null) == redis-server ]] || continue
        if [[ $(readlink "$dir/cwd" 2>/dev/null) == "$(cd "$REDIS_DATA" && pwd -P)" ]]; then
            printf '%s\n' "${dir#/proc/}"
            return 0
        fi
    done
    return 1
}

redis_start() {
    check_port_number NEXUS_REDIS_PORT "$REDIS_PORT"
    local pid
    if pid=$(redis_pid); then
        if redis_ping "$REDIS_PORT"; then
            line redis ready "$(redis_url)  log: $(show_path "$REDIS_LOG")"
            return 0
        fi
        die "redis: pid $pid is running on this data dir but does not answer on port $REDIS_PORT (started with another NEXUS_REDIS_PORT?); stop it first"
    fi
    rm -f "$REDIS_PIDFILE"
    port_open "$REDIS_PORT" && port_conflict redis "$REDIS_PORT" NEXUS_REDIS_PORT
    if ! command -v redis-server >/dev/null 2>&1; then
        if is_root; then
            apt_install redis-server || die "redis: could not install redis-server with apt-get"
        fi
        command -v redis-server >/dev/null 2>&1 || die "redis: redis-server not found; install the redis-server package"
    fi
    mkdir -p "$REDIS_DATA"
    # Our own instance, configured entirely from arguments (Debian's /etc/redis is untouched).
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DATA" \
        --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" \
        --appendonly yes --save "" </dev/null >/dev/null
    local i
    for ((i = 0; i < 100; i++)); do
        redis_ping "$REDIS_PORT" && break
        sleep 0.1
    done
    if ! redis_ping "$REDIS_PORT"; then
        warn "---- last 40 lines of $REDIS_LOG ----"
        tail -n 40 "$REDIS_LOG" >&2 || true
        die "redis: failed to start"
    fi
    line redis ready "$(redis_url)  log: $(show_path "$REDIS_LOG")"
}

redis_stop() {
    local pid
    if pid=$(redis_pid); then
        kill -TERM "$pid"
        if ! wait_pid_gone "$pid" 30; then
            warn "redis: did not stop within 30 s, killing pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$REDIS_PIDFILE"
        line redis stopped ""
    else
        rm -f "$REDIS_PIDFILE"
        line redis down "(was not running)"
    fi
}

redis_status() {
    local pid
    if pid=$(redis_pid) && redis_ping "$REDIS_PORT"; then
        line redis up "$(redis_url)  pid $pid"
    else
        line redis down "(port $REDIS_PORT)"
        return 1
    fi
}

# ---------------------------------------------------------------------------- neo4j

NEO4J_PIDFILE=$NEO4J_HOME/run/neo4j.pid
NEO4J_CONSOLE_LOG=$NEO4J_HOME/logs/console.log
JAVA=java
[[ -n ${JAVA_HOME:-} && -x ${JAVA_HOME:-}/bin/java ]] && JAVA=$JAVA_HOME/bin/java

neo4j_url() { printf 'bolt://neo4j:***@127.0.0.1:%s' "$NEO4J_BOLT_PORT"; }

java_major() {
    local v
    v=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)\(\.[^"]*\)\{0,1\}".*/\1/p' | head -n1)
    [[ $v == 1 ]] && v=8
    printf '%s\n' "${v:-0}"
}

neo4j_ensure_java() {
    local major=0
    command -v "$JAVA" >/dev/null 2>&1 && major=$(java_major)
    if ((major < 17)); then
        if is_root; then
            apt_install openjdk-17-jre-headless || die "neo4j: could not install Java 17 with apt-get"
            JAVA=/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)/bin/java
            [[ -x $JAVA ]] || JAVA=java
            major=$(java_major)
        fi
        ((major >= 17)) || die "neo4j: Java 17 or 21 is required (found: ${major/#0/none}); install openjdk-17-jre-headless"
    fi
    ((major <= 21)) || warn "neo4j: Neo4j $NEO4J_VERSION supports Java 17 and 21; found Java $major, trying anyway"
}

# Copy the Neo4j server jars from Maven Central into the (shared, outside the repo) cache.
neo4j_ensure_jars() {
    [[ -f $NEO4J_LIB_CACHE/.complete ]] && return 0
    if ! command -v mvn >/dev/null 2>&1; then
        if is_root; then
            apt_install maven || die "neo4j: could not install maven with apt-get"
        fi
        command -v mvn >/dev/null 2>&1 || die "neo4j: Maven (mvn) is needed once to fetch the Neo4j jars; install maven"
    fi
    local tmp=$NEO4J_LIB_CACHE.tmp.$$
    local -a mvn_args=()
    # Maven locates ~/.m2 from the passwd entry, not $HOME: follow $HOME when they differ.
    if [[ $(getent passwd "$(id -u)" | cut -d: -f6) != "$HOME" ]]; then
        mvn_args+=("-Dmaven.repo.local=$HOME/.m2/repository")
    fi
    say "neo4j: fetching Neo4j $NEO4J_VERSION jars from Maven Central into $NEO4J_LIB_CACHE (once; ~125 MB) ..."
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! mvn -q -B -Dstyle.color=never "${mvn_args[@]}" -f "$SCRIPT_DIR/neo4j/pom.xml" -Dneo4j.version="$NEO4J_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$tmp.log" 2>&1; then
        cat "$tmp.log" >&2
        rm -rf "$tmp" "$tmp.log"
        die "neo4j: fetching org.neo4j:neo4j:$NEO4J_VERSION with Maven failed"
    fi
    [[ -f $tmp/neo4j-$NEO4J_VERSION.jar ]] || {
        rm -rf "$tmp"
        die "neo4j: Maven did not produce neo4j-$NEO4J_VERSION.jar"
    }
    rm -f "$tmp.log"
    touch "$tmp/.complete"
    if [[ -f $NEO4J_LIB_CACHE/.complete ]]; then
        rm -rf "$tmp" # another run won the race
    else
        rm -rf "$NEO4J_LIB_CACHE"
        mv "$tmp" "$NEO4J_LIB_CACHE"
    fi
    say "neo4j: cached $(find "$NEO4J_LIB_CACHE" -name '*.jar' | wc -l) jars ($(du -sh "$NEO4J_LIB_CACHE" | cut -f1))"
}

neo4j_pid() {
    local pid
    pid=$(read_pid "$NEO4J_PIDFILE")
    pid_matches "$pid" org.neo4j.server.CommunityEntryPoint "--home-dir=$NEO4J_HOME" && printf '%s\n' "$pid"
}

# The JVM serving this NEO4J_HOME, found by scanning /proc (procps may be missing).
neo4j_find_pid() {
    local dir pid
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        if pid_matches "$pid" org.neo4j.server.CommunityEntryPoint "--home-dir=$NEO4J_HOME --"; then
            printf '%s\n' "$pid"
            return 0
        fi
    done
    return 1
}

# A Bolt handshake: magic 0x6060B017, then version proposals (5.0-5.8, 4.4); the server
# answers with the chosen version (non-zero) when it is really serving Bolt.
bolt_handshake() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x00\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
        reply=$(head -c 4 <&3 | od -An -tx1 | tr -d " \n")
        [[ ${#reply} -eq 8 && $reply != 00000000 ]]
    ' _ "$1" 2>/dev/null
}

neo4j_write_conf() {
    cat >"$NEO4J_HOME/conf/neo4j.conf" <<EOF
# Written by scripts/services.sh on every start; edit the environment, not this file.
# Neo4j validates keys strictly: an unknown key stops the server.
server.directories.data=$NEO4J_HOME/data
server.directories.logs=$NEO4J_HOME/logs
server.directories.run=$NEO4J_HOME/run
server.directories.plugins=$NEO4J_HOME/plugins
server.directories.import=$NEO4J_HOME/import

server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$NEO4J_BOLT_PORT
server.bolt.advertised_address=127.0.0.1:$NEO4J_BOLT_PORT
server.http.enabled=false
server.https.enabled=false
dbms.routing.enabled=false
dbms.usage_report.enabled=false

# The JVM heap itself is set with -Xms/-Xmx by services.sh; these keep Neo4j's view in line.
server.memory.heap.initial_size=$NEO4J_HEAP
server.memory.heap.max_size=$NEO4J_HEAP
server.memory.pagecache.size=$NEO4J_PAGECACHE

db.tx_log.rotation.retention_policy=100M size
EOF
}

neo4j_start() {
    check_port_number NEXUS_NEO4J_BOLT_PORT "$NEO4J_BOLT_PORT"
    local pid
    if pid=$(neo4j_pid) && bolt_handshake "$NEO4J_BOLT_PORT"; then
        line neo4j ready "$(neo4j_url)  log: $(show_path "$NEO4J_CONSOLE_LOG")"
        return 0
    fi
    if [[ -n ${pid:-} ]]; then
        # Our process, but not serving Bolt yet (e.g. a start still in progress): wait for it.
        neo4j_wait_ready "$pid" "$(date +%s)"
        line neo4j ready "$(neo4j_url)  log: $(show_path "$NEO4J_CONSOLE_LOG")"
        return 0
    fi
    rm -f "$NEO4J_PIDFILE"
    port_open "$NEO4J_BOLT_PORT" && port_conflict neo4j "$NEO4J_BOLT_PORT" NEXUS_NEO4J_BOLT_PORT
    ((${#NEO4J_PASSWORD} >= 8)) || die "neo4j: NEXUS_NEO4J_PASSWORD must be at least 8 characters"

    neo4j_ensure_java
    neo4j_ensure_jars
    mkdir -p "$NEO4J_HOME"/{conf,data,logs,run,plugins,import}
    if [[ -L $NEO4J_HOME/lib || ! -e $NEO4J_HOME/lib ]]; then
        ln -sfn "$NEO4J_LIB_CACHE" "$NEO4J_HOME/lib"
    fi
    neo4j_write_conf

    local first=0
    if [[ ! -d $NEO4J_HOME/data/dbms ]]; then
        first=1
        # Must happen before the very first start. NEO4J_HOME/NEO4J_CONF tell the admin
        # tool where home is (otherwise it guesses from the jar location: the cache).
        env NEO4J_HOME="$NEO4J_HOME" NEO4J_CONF="$NEO4J_HOME/conf" \
            "$JAVA" -cp "$NEO4J_HOME/lib/*" org.neo4j.server.startup.Neo4jAdminCommand \
            dbms set-initial-password "$NEO4J_PASSWORD" >"$NEO4J_HOME/logs/admin.log" 2>&1 || {
            cat "$NEO4J_HOME/logs/admin.log" >&2
            die "neo4j: setting the initial password failed"
        }
        [[ -f $NEO4J_HOME/data/dbms/auth.ini ]] ||
            die "neo4j: set-initial-password did not write $NEO4J_HOME/data/dbms/auth.ini"
    fi

    local started
    started=$(date +%s)
    ((first)) && say "neo4j: first start (creates the system and neo4j databases) ..."
    (
        cd "$NEO4J_HOME"
        exec setsid nohup "$JAVA" \
            -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC \
            -XX:+ExitOnOutOfMemoryError \
            --add-opens=java.base/java.nio=ALL-UNNAMED \
            --add-opens=java.base/java.io=ALL-UNNAMED \
            --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
            --enable-native-access=ALL-UNNAMED \
            -Dio.netty.tryReflectionSetAccessible=true \
            -Djdk.nio.maxCachedBufferSize=1024 \
            -Dlog4j2.disable.jmx=true \
            -Dfile.encoding=UTF-8 \
            -Xms"$NEO4J_HEAP" -Xmx"$NEO4J_HEAP" \
            -cp "$NEO4J_HOME/plugins/*:$NEO4J_HOME/lib/*" \
            org.neo4j.server.CommunityEntryPoint \
            --home-dir="$NEO4J_HOME" --config-dir="$NEO4J_HOME/conf" --console-mode \
            </dev/null >"$NEO4J_CONSOLE_LOG" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$NEO4J_PIDFILE"
    sleep 0.5
    if ! pid_matches "$pid" org.neo4j.server.CommunityEntryPoint; then
        # setsid forks when it happens to lead a process group: find the JVM itself.
        pid=$(neo4j_find_pid) || pid=$!
        printf '%s\n' "$pid" >"$NEO4J_PIDFILE"
    fi
    neo4j_wait_ready "$pid" "$started"
    line neo4j ready "$(neo4j_url)  log: $(show_path "$NEO4J_CONSOLE_LOG")  (started in $(($(date +%s) - started)) s)"
}

neo4j_wait_ready() { # pid start-epoch
    local pid=$1 started=$2
    while (($(date +%s) - started < NEO4J_START_TIMEOUT)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            warn "---- last 40 lines of $NEO4J_CONSOLE_LOG ----"
            tail -n 40 "$NEO4J_CONSOLE_LOG" >&2 || true
            rm -f "$NEO4J_PIDFILE"
            die "neo4j: the server exited during startup"
        fi
        if grep -q 'Started\.' "$NEO4J_CONSOLE_LOG" 2>/dev/null && bolt_handshake "$NEO4J_BOLT_PORT"; then
            return 0
        fi
        sleep 1
    done
    warn "---- last 40 lines of $NEO4J_CONSOLE_LOG ----"
    tail -n 40 "$NEO4J_CONSOLE_LOG" >&2 || true
    die "neo4j: Bolt did not answer on 127.0.0.1:$NEO4J_BOLT_PORT within $NEO4J_START_TIMEOUT s (pid $pid left running; 'scripts/services.sh stop neo4j' stops it)"
}

neo4j_stop() {
    local pid
    if pid=$(neo4j_pid); then
        kill -TERM "$pid"
        if ! wait_pid_gone "$pid" "$NEO4J_STOP_TIMEOUT"; then
            warn "neo4j: did not stop within $NEO4J_STOP_TIMEOUT s, killing pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
            wait_pid_gone "$pid" 10 || true
        fi
        rm -f "$NEO4J_PIDFILE"
        line neo4j stopped ""
    else
        rm -f "$NEO4J_PIDFILE"
        line neo4j down "(was not running)"
    fi
}

neo4j_status() {
    local pid
    if pid=$(neo4j_pid) && bolt_handshake "$NEO4J_BOLT_PORT"; then
        line neo4j up "$(neo4j_url)  pid $pid"
    else
        line neo4j down "(port $NEO4J_BOLT_PORT)"
        return 1
    fi
}

# ---------------------------------------------------------------------------- main

usage() {
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
    local action=${1:-}
    [[ $# -gt 0 ]] && shift
    case $action in
        start | stop | status | restart) ;;
        -h | --help | help)
            usage
            return 0
            ;;
        *)
            usage >&2
            return 2
            ;;
    esac

    local -a services=()
    local name s
    if [[ $# -eq 0 ]]; then
        services=("${ALL_SERVICES[@]}")
    else
        for name in "$@"; do
            case $name in
                postgres | redis | neo4j) ;;
                *)
                    warn "unknown service '$name' (expected: ${ALL_SERVICES[*]})"
                    return 2
                    ;;
            esac
        done
        for s in "${ALL_SERVICES[@]}"; do # canonical order, duplicates dropped
            for name in "$@"; do
                if [[ $name == "$s" ]]; then
                    services+=("$s")
                    break
                fi
            done
        done
    fi

    local rc=0 i
    case $action in
        start)
            for s in "${services[@]}"; do "${s}_start"; done
            ;;
        stop)
            for ((i = ${#services[@]} - 1; i >= 0; i--)); do "${services[i]}_stop"; done
            ;;
        restart)
            for ((i = ${#services[@]} - 1; i >= 0; i--)); do "${services[i]}_stop"; done
            for s in "${services[@]}"; do "${s}_start"; done
            ;;
        status)
            for s in "${services[@]}"; do "${s}_status" || rc=1; done
            ;;
    esac
    return "$rc"
}

main "$@"
