#!/usr/bin/env bash
# `make bench`: webhook figures on the local stack (CRM_STACK=test, started here, stopped after).
#   - webhooks per second and p50/p99 latency, order.create with 3 items, 16 concurrent clients
#   - PostgREST requests per webhook on its own path, and per notification job (counted in
#     PostgREST's own request log)
#   - the Worker's wasm size, raw and gzipped
#   - GET /health from the same 16 clients in the same run: the yardstick (one PostgREST round trip)
#   - the staff pages: each page's latency, HTML size and PostgREST requests, with 300 orders on
#     the board's day, and the board's render time for 300 orders (BENCH=pages runs only these)
#   - the catalogue: a load of 5,000 products from the stand-in's catalog.snapshot (time and
#     PostgREST requests), and how many messages the burst's notifications became (digests)
#   - the critical path at RTT_MS (100 by default) between the Worker and PostgREST, added by
#     scripts/rtt_proxy.py on a restarted stack: one client's webhook p50 beside GET /health's, and
#     webhook-to-Telegram p50 (BENCH=rtt runs only this)
#   - the bouquet's photo: upload time of 1, 5 and 10 MB photos and workerd's peak memory
#     (BENCH=photos runs only this)
#   - the buyer's page: how long a malformed, an unknown and a revoked token take to be told
#     404, beside a live page (BENCH=track runs only this)
# Each created order also queues a Telegram message; the stand-in of scripts/fake_peers.py
# answers them here so that the jobs run as in production. Not a test: figures depend on the machine.
# REQUESTS and CONCURRENCY can be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
export CRM_STACK=test
bin="${CARGO_TARGET_DIR:-target}/release/examples"
REQUESTS="${REQUESTS:-2000}"
CONCURRENCY="${CONCURRENCY:-16}"
RTT_MS="${RTT_MS:-100}"
TELEGRAM_PORT=55391
PROXY_PORT=55341
export TELEGRAM_API_URL="http://127.0.0.1:$TELEGRAM_PORT"
export BITRIX_API_URL="http://127.0.0.1:55390/bitrix/gateway.php"
peers_log=.local/bench/peers.log
mkdir -p .local/bench
: >"$peers_log"
FAKE_CATALOG=5000 python3 scripts/fake_peers.py 55390 "$TELEGRAM_PORT" >>"$peers_log" &
bot=$!
proxy=""
trap 'kill $bot $proxy 2>/dev/null; bash scripts/stack.sh down >/dev/null 2>&1 || true' EXIT
log=.local/test/logs/postgrest.log
count() { grep -c "$1" "$log" || true; }
sql() { psql -X -q -tA -h 127.0.0.1 -p 55322 -U postgres postgres -c "$1"; }
wait_for_jobs() {
  for _ in $(seq 1 180); do
    [ "$(sql "select count(*) from sync_jobs where status in ('pending','running','retrying')")" = 0 ] && return
    sleep 1
  done
}
# End to end: from the webhook's transaction to the shop's chat having the message.
latency() {
  sql "select '$1_notification_after_webhook_p50_ms=' || round(percentile_cont(0.5) within group (order by ms)::numeric)
              || ' p99_ms=' || round(percentile_cont(0.99) within group (order by ms)::numeric)
       from (select extract(epoch from done_at - created_at) * 1000 as ms from sync_jobs
             where flow = 'telegram' and status = 'done' and created_at >= '$2') t"
}

pages() {
  local day order product
  day="$(date -u -d '+5 hours' +%F)"
  printf 'dev-staff-password\n' | bash scripts/staff.sh add admin "Администратор" >/dev/null 2>&1
  sql "insert into delivery_time_slots (bitrix_slot_id, label, starts_at, ends_at)
       select 100 + n, lpad((9 + n)::text, 2, '0') || ':00-' || lpad((10 + n)::text, 2, '0') || ':00',
              make_time(9 + n, 0, 0), make_time(10 + n, 0, 0) from generate_series(0, 11) n
       on conflict do nothing" >/dev/null
  order="$(sql "with made as (
      insert into orders (bitrix_order_id, order_number, status, total_amount, delivery_fee, currency, recipient_name,
                          recipient_phone, delivery_address, postcard_text, delivery_date, delivery_time_id, bitrix_city_id, bitrix_shop_id)
      select 6000000 + n, (6000000 + n)::text, (array['new','accepted','delivering','completed'])[1 + n % 4], 16500, 1500, 'KZT',
             'Получатель №' || n || ' Әсем Қайратқызы', '+77015551234', 'Алматы, мкр. Самал-2, д. 58, кв. 114, подъезд 3',
             'С днём рождения! Люблю, целую', '$day', 100 + n % 12, 2, 17008
      from generate_series(1, 300) n returning id)
    , items as (insert into order_items (order_id, bitrix_basket_id, bitrix_product_id, product_snapshot, price, quantity)
      select id, 1, 15652, '{\"name\": \"Букет Стандарт\", \"currency\": \"KZT\"}', 7500, 2 from made)
    select id from made limit 1")"
  product="$(sql "insert into products (name, price, metadata) values ('Букет для замера', 7500,
      '{\"properties\": {\"bitrix_id\": \"99999901\", \"IN_STOCK\": \"158\", \"ru_url\": \"buket\"}}') returning id")"
  cargo build --release --example bench_pages -q
  SUPABASE_SERVICE_KEY="$(bash scripts/stack.sh service-key)" \
    "$bin"/bench_pages http://127.0.0.1:8788 "$day" "$order" "$product" "$log"
}

# The bouquet's photo: uploads of 1, 5 and 10 MB (JPEG-shaped, each one different, so each
# takes the whole path: read, find the file, tell its kind, hash it, put it in R2, record it, queue
# the chat's job), one at a time; wall time per size, and workerd's resident memory at its peak.
photos() {
  local order cookie size n file times rss_peak pid
  printf 'dev-staff-password\n' | bash scripts/staff.sh add admin "Администратор" >/dev/null 2>&1
  order="$(sql "insert into orders (bitrix_order_id, order_number, status, delivery_date, recipient_name)
                values (5999999, '5999999', 'new', current_date, 'Замер фото')
                on conflict (bitrix_order_id) do update set recipient_name = excluded.recipient_name returning id")"
  cookie="$(curl -sS -o /dev/null -D - -H 'Origin: http://127.0.0.1:8788' \
      --data 'login=admin&password=dev-staff-password&next=/crm' http://127.0.0.1:8788/crm/login \
    | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')"
  pid="$(pgrep -f 'workerd serve.*inspector-addr' | head -1)"
  echo "photo_workerd_rss_before_mb=$(( $(awk '/VmRSS/ {print $2}' /proc/"$pid"/status) / 1024 ))"
  rss_peak=0
  for size in 1 5 10; do
    times=()
    for n in $(seq 1 10); do
      file=.local/bench/photo-$size.jpg
      { printf '\xff\xd8\xff\xe0'; head -c $((size * 1024 * 1024 - 24)) /dev/urandom; printf '%08d' "$n"; printf '\xff\xd9'; } >"$file"
      times+=("$(curl -sS -o /dev/null -w '%{time_total}' -H 'Expect:' -H "Cookie: $cookie" -H 'Origin: http://127.0.0.1:8788' \
          -F "photo=@$file;type=image/jpeg" "http://127.0.0.1:8788/crm/orders/$order/photo")")
      [ -n "$pid" ] && rss_peak=$(awk -v a="$rss_peak" -v b="$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)" 'BEGIN { print (b > a ? b : a) }')
    done
    echo "photo_${size}mb_upload_p50_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.0f", a[int((NR + 1) / 2)] * 1000 }')"
  done
  echo "photo_workerd_rss_peak_mb=$((rss_peak / 1024)) (all isolates and the local R2 together)"
  sql "select 'photo_jobs=' || count(*) from sync_jobs where payload ->> 'order_id' = '$order' and payload ->> 'occasion' = 'bouquet_photo'"
}

# The buyer's page: how long a miss takes, by kind (malformed: no database; unknown and revoked:
# one indexed lookup each), 200 of each, one at a time, each from its own network (the rate
# limit is per network), and a live page for comparison.
track() {
  local order live revoked kind path n times
  order="$(sql "insert into orders (bitrix_order_id, order_number, status, delivery_date, recipient_name)
                values (5999998, '5999998', 'accepted', current_date, 'Замер ссылки')
                on conflict (bitrix_order_id) do update set recipient_name = excluded.recipient_name returning id")"
  live="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | cut -c1-43)"
  revoked="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | cut -c1-43)"
  sql "delete from track_links where order_id = '$order';
       insert into track_links (token, order_id, created_by, revoked_at) values ('$revoked', '$order', 'bench', now());
       insert into track_links (token, order_id, created_by) values ('$live', '$order', 'bench')" >/dev/null
  for kind in malformed unknown revoked live; do
    times=()
    for n in $(seq 1 200); do
      case "$kind" in
        malformed) path="/t/short$n" ;;
        unknown) path="/t/$(printf '%043d' "$n")" ;;
        revoked) path="/t/$revoked" ;;
        live) path="/t/$live" ;;
      esac
      times+=("$(curl -sS -o /dev/null -w '%{time_total}' -H "CF-Connecting-IP: 198.18.$((n / 250)).$((n % 250))" \
          "http://127.0.0.1:8788$path")")
    done
    echo "track_${kind}_p50_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }')" \
         "p90_ms=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int(NR * 0.9)] * 1000 }')"
  done
}

# The critical path at RTT_MS: the stack again, with the delaying proxy in front of PostgREST.
rtt() {
  bash scripts/stack.sh down >/dev/null 2>&1 || true
  python3 scripts/rtt_proxy.py "$PROXY_PORT" 55321 "$RTT_MS" &
  proxy=$!
  SUPABASE_URL="http://127.0.0.1:$PROXY_PORT" bash scripts/stack.sh up
  cargo build --release --example bench_rtt -q
  echo "rtt_ms=$RTT_MS (scripts/rtt_proxy.py between the Worker and PostgREST)"
  "$bin"/bench_rtt http://127.0.0.1:8788 "${RTT_REQUESTS:-100}" "$peers_log" | sed 's/^/rtt_/'
}

case "${BENCH:-all}" in
  pages) bash scripts/stack.sh up; pages; exit 0 ;;
  photos) bash scripts/stack.sh up; photos; exit 0 ;;
  track) bash scripts/stack.sh up; track; exit 0 ;;
  rtt) rtt; exit 0 ;;
esac
bash scripts/stack.sh up
cargo build --release --example bench_webhooks -q

# A burst: REQUESTS webhooks from CONCURRENCY clients.
webhook_before=$(count '"POST /rpc/apply_bitrix_order_event'); all_before=$(count '" [0-9][0-9][0-9] ')
"$bin"/bench_webhooks http://127.0.0.1:8788 "$REQUESTS" "$CONCURRENCY"
wait_for_jobs
webhooks=$(( $(count '"POST /rpc/apply_bitrix_order_event') - webhook_before ))
jobs=$(sql "select count(*) from sync_jobs where status = 'done'")
others=$(( $(count '" [0-9][0-9][0-9] ') - all_before - webhooks ))
echo "postgrest_requests_per_webhook=$(awk -v w="$webhooks" -v n="$((REQUESTS + 20))" 'BEGIN { printf "%.2f", w / n }')"
echo "notification_jobs_done=$jobs postgrest_requests_per_job=$(awk -v o="$others" -v j="$jobs" 'BEGIN { printf "%.2f", (j ? o / j : 0) }')"
latency burst "-infinity"
sql "select 'burst_messages_sent=' || count(*) filter (where result ? 'in_digest' is not true)
            || ' notifications=' || count(*) || ' in_digests=' || count(*) filter (where result ? 'in_digest')
     from sync_jobs where flow = 'telegram' and status = 'done'"
echo "burst_first_webhook_to_last_message_s=$(sql "select round(extract(epoch from max(done_at) - min(created_at))::numeric, 1)
     from sync_jobs where flow = 'telegram' and status = 'done'")"

# The catalogue: 5,000 products from the stand-in, loaded on demand.
catalog_before=$(count '"POST /rpc/'); started=$(date +%s.%N)
curl -sS -X POST -H 'Authorization: Bearer dev-crm-token' http://127.0.0.1:8788/api/ops/catalog/run >.local/bench/catalog.json
echo "catalog_load_s=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')" \
     "postgrest_requests=$(( $(count '"POST /rpc/') - catalog_before ))" \
     "products=$(sql "select count(*) from products where catalog_run is not null")"
# The yardstick, from the same clients in the same run: one PostgREST round trip per request.
"$bin"/bench_webhooks http://127.0.0.1:8788 "$REQUESTS" "$CONCURRENCY" health | sed 's/^/health_/'

# A shop's real pace: one webhook at a time (a few per second), after the burst has drained.
steady_from=$(sql "select now()")
"$bin"/bench_webhooks http://127.0.0.1:8788 200 1 | sed 's/^/steady_/'
wait_for_jobs
latency steady "$steady_from"
sql "select 'jobs_retried=' || count(*) || coalesce(' first_error=' || min(last_error), '')
     from sync_jobs where attempts > 1 or status <> 'done'"
wasm=build/index_bg.wasm
echo "wasm_bytes=$(stat -c %s "$wasm") wasm_gzip_bytes=$(gzip -9 -c "$wasm" | wc -c)"
pages
photos
track
rtt
