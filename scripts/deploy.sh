#!/usr/bin/env bash
# `make deploy`: production (crm.cvety.kz) refuses to run half-configured, so the deploy stops
# before it starts when a secret production needs is not set in Cloudflare.
#
#   scripts/deploy.sh check    asks `wrangler secret list --env production` and names each
#                              missing secret (exit 1), or says all are set
#   scripts/deploy.sh deploy   the check, then the release build and `wrangler deploy --env production`
#
# WRANGLER overrides the wrangler command (default: the pinned node_modules/.bin/wrangler).
set -euo pipefail
cd "$(dirname "$0")/.."
WRANGLER="${WRANGLER:-node_modules/.bin/wrangler}"
# The secrets the production Worker reads (SPEC.md, README "Configuration"). /health answers
# 503 `misconfigured` without WEBHOOK_SIGNING_SECRET, SUPABASE_SERVICE_KEY or a SESSION_SECRET
# of at least 32 bytes; the others turn their flow's calls into failures.
REQUIRED=(WEBHOOK_SIGNING_SECRET SESSION_SECRET SUPABASE_SERVICE_KEY CRM_API_TOKEN BITRIX_API_TOKEN
          TELEGRAM_BOT_TOKEN)

check() {
  local listed missing=()
  if ! listed="$(WRANGLER_SEND_METRICS=false "$WRANGLER" secret list --env production --format json)"; then
    echo "deploy: 'wrangler secret list --env production' failed: log in with 'npx wrangler login' first" >&2
    exit 1
  fi
  local name
  for name in "${REQUIRED[@]}"; do
    if ! printf '%s' "$listed" | node -e '
      let t = ""; process.stdin.on("data", d => t += d).on("end", () => {
        const names = JSON.parse(t).map(s => s.name);
        process.exit(names.includes(process.argv[1]) ? 0 : 1);
      });' "$name"; then
      missing+=("$name")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "deploy: stopped: production is missing these secrets: ${missing[*]}" >&2
    for name in "${missing[@]}"; do
      echo "  set it with: npx wrangler secret put $name --env production" >&2
    done
    echo "  (SESSION_SECRET: at least 32 random bytes, e.g. openssl rand -base64 48)" >&2
    exit 1
  fi
  echo "deploy: every production secret is set: ${REQUIRED[*]}"
}

case "${1:-}" in
  check) check ;;
  deploy)
    check
    FORCE_BUILD=1 bash scripts/build-worker.sh
    WRANGLER_SEND_METRICS=false "$WRANGLER" deploy --env production
    ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
