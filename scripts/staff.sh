#!/usr/bin/env bash
# Staff accounts for the CRM's pages (/crm).
#
#   scripts/staff.sh add LOGIN "Name" [ROLE]  adds the account, or sets its name, role and
#                                          password; ROLE is owner (default: the first owner),
#                                          manager, florist or courier; the password is read
#                                          from standard input. Every other account is best
#                                          added by the owner on /crm/staff.
#   scripts/staff.sh disable LOGIN         the account can no longer log in; its sessions end
#   scripts/staff.sh unlock LOGIN          forgets the login's failed attempts (from every network),
#                                          so a locked login opens again at once
#   scripts/staff.sh list                  the accounts
#
# The password is hashed here with Argon2id by the Worker's own code (examples/hash_password.rs)
# and only the hash reaches the database. CRM_STACK=dev (default) or test picks the local
# database; DATABASE_URL points at any other (e.g. the production Supabase's, with its password).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${CRM_STACK:-dev}" in
  dev) default_db="postgres://postgres@127.0.0.1:${PG_PORT:-54322}/postgres" ;;
  test) default_db="postgres://postgres@127.0.0.1:${PG_PORT:-55322}/postgres" ;;
  *) echo "CRM_STACK must be dev or test" >&2; exit 2 ;;
esac
DATABASE_URL="${DATABASE_URL:-$default_db}"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

case "${1:-}" in
  add)
    login="${2:?usage: scripts/staff.sh add LOGIN \"Name\" (password on stdin)}"
    name="${3:?usage: scripts/staff.sh add LOGIN \"Name\" (password on stdin)}"
    role="${4:-owner}"
    case "$role" in owner|manager|florist|courier) ;; *) echo "ROLE must be owner, manager, florist or courier" >&2; exit 2 ;; esac
    if [ -t 0 ]; then
      read -r -s -p "Password for $login: " password; echo >&2
    else
      IFS= read -r password || true
    fi
    hash="$(printf '%s\n' "$password" | cargo run --quiet --release --example hash_password)"
    sql -v login="$login" -v name="$name" -v hash="$hash" -v role="$role" <<'SQL'
insert into public.staff (login, name, password_hash, role) values (lower(:'login'), :'name', :'hash', :'role')
on conflict (login) do update set name = excluded.name, password_hash = excluded.password_hash, role = excluded.role,
  password_set_at = now(), disabled_at = null;
update public.staff_sessions set ended_at = now()
where ended_at is null and staff_id = (select id from public.staff where login = lower(:'login'));
delete from public.staff_login_failures where login = lower(:'login');
SQL
    echo "staff: $login ($name) can log in at /crm/login" >&2
    ;;
  disable)
    login="${2:?usage: scripts/staff.sh disable LOGIN}"
    sql -v login="$login" <<'SQL'
update public.staff set disabled_at = now() where login = lower(:'login');
update public.staff_sessions set ended_at = now()
where ended_at is null and staff_id = (select id from public.staff where login = lower(:'login'));
SQL
    ;;
  unlock)
    login="${2:?usage: scripts/staff.sh unlock LOGIN}"
    sql -v login="$login" <<'SQL'
delete from public.staff_login_failures where login = lower(:'login');
SQL
    echo "staff: $login is unlocked (its failed attempts are forgotten)" >&2
    ;;
  list)
    sql -c "select login, name, role, created_at, disabled_at from public.staff order by login"
    ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
