#!/usr/bin/env bash
# A private MariaDB (Debian's package) for the Bitrix module's tests: production Bitrix runs
# MySQL, so the module's tables, its SQL and its install/uninstall run on a real server.
#   bash scripts/mariadb.sh install  installs Debian's mariadb-server and php-mysql when missing
#   bash scripts/mariadb.sh up     starts it (idempotent) on 127.0.0.1:$KIT_MARIADB_PORT
#   bash scripts/mariadb.sh down   stops it
#   bash scripts/mariadb.sh dsn    prints the PDO DSN the PHPUnit suite reads (CVETY_TEST_MYSQL_DSN)
# The data lives in target/mariadb (made fresh on each `up` of a stopped server).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${KIT_MARIADB_PORT:-55306}"
DIR="$PWD/target/mariadb"
SOCK="$DIR/mariadb.sock"
log() { echo "mariadb: $*" >&2; }

install() {
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ] \
    || ! php -r 'exit(extension_loaded("pdo_mysql") ? 0 : 1);'; then
    [ "$(id -u)" = 0 ] || { log "missing: sudo apt-get install -y mariadb-server php-mysql"; exit 1; }
    log "installing MariaDB and PHP's pdo_mysql (Debian's packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server php-mysql >/dev/null
  fi
}

# Up when this tree's server answers, or one of another tree (a git worktree) already serves the port.
running() {
  { [ -S "$SOCK" ] && mariadb-admin --socket="$SOCK" -uroot ping >/dev/null 2>&1; } \
    || mariadb-admin -h127.0.0.1 -P"$PORT" -ubitrix -pdev-bitrix-db ping >/dev/null 2>&1
}

up() {
  install
  if running; then return 0; fi
  rm -rf "$DIR" && mkdir -p "$DIR/data"
  local user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
  mariadb-install-db "${user[@]}" --datadir="$DIR/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$DIR/install.log" 2>&1 || { cat "$DIR/install.log" >&2; exit 1; }
  /usr/sbin/mariadbd --no-defaults "${user[@]}" --datadir="$DIR/data" --socket="$SOCK" --port="$PORT" \
    --bind-address=127.0.0.1 --pid-file="$DIR/mariadb.pid" --log-error="$DIR/error.log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --skip-log-bin \
    --innodb-buffer-pool-size=64M >/dev/null 2>&1 &
  for _ in $(seq 1 100); do running && break; sleep 0.2; done
  running || { cat "$DIR/error.log" >&2; log "did not start"; exit 1; }
  # The module's tests log in as a site's database user would (no SUPER), password made up.
  mariadb --socket="$SOCK" -uroot -e "CREATE USER IF NOT EXISTS 'bitrix'@'127.0.0.1' IDENTIFIED BY 'dev-bitrix-db';
    GRANT ALL ON \`bitrix\\_test%\`.* TO 'bitrix'@'127.0.0.1';"
  log "up on 127.0.0.1:$PORT"
}

down() {
  if [ -f "$DIR/mariadb.pid" ]; then kill "$(cat "$DIR/mariadb.pid")" 2>/dev/null || true; fi
  for _ in $(seq 1 50); do running || break; sleep 0.2; done
}

case "${1:-up}" in
  install) install ;;
  up) up ;;
  down) down ;;
  dsn) echo "mysql:host=127.0.0.1;port=$PORT;charset=utf8mb4" ;;
  *) log "usage: $0 up|down|dsn"; exit 2 ;;
esac
