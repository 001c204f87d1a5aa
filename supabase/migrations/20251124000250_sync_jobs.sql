-- The outbox: every outbound effect (a Telegram message, a Bitrix gateway call) and every
-- webhook whose apply had to wait is a row here, written in the same transaction as the change
-- that caused it. The idempotency key makes each effect happen at most once per cause; the
-- Worker carries jobs out through Cloudflare Queues, and a sweep re-enqueues what a lost queue
-- message left behind, so nothing is lost.

create table public.sync_jobs (
  id uuid primary key default gen_random_uuid(),
  flow text not null check (flow in ('webhook_apply', 'reverse_sync', 'status_sync', 'availability_sync', 'telegram')),
  idempotency_key text not null unique,
  payload jsonb not null default '{}'::jsonb,
  status text not null default 'pending' check (status in ('pending', 'retrying', 'running', 'done', 'skipped', 'dead')),
  attempts integer not null default 0,
  last_error text,
  result jsonb,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  done_at timestamptz
);
create index sync_jobs_due_idx on public.sync_jobs (next_attempt_at) where status in ('pending', 'retrying', 'running');
create index sync_jobs_flow_status_idx on public.sync_jobs (flow, status);

alter table public.sync_jobs enable row level security;
grant select, insert, update, delete on public.sync_jobs to service_role;

-- Adds a job once per key; returns its id when it is new, null when the key was seen before.
create or replace function public.add_sync_job(p_flow text, p_key text, p_payload jsonb)
returns uuid
language sql
set search_path = ''
as $$
  insert into public.sync_jobs (flow, idempotency_key, payload) values (p_flow, p_key, p_payload)
  on conflict (idempotency_key) do nothing
  returning id
$$;

-- Takes a job for one attempt: only a pending or retrying job that is due (a second, early
-- message for it finds nothing; the sweep brings it back when due), or a running one whose
-- lease has run out, so two deliveries of one queue message never both carry it out. Returns
-- null when there is nothing to do (done, dead, skipped, not due, or another attempt holds it).
create or replace function public.claim_sync_job(p_job_id uuid, p_lease_seconds integer default 60)
returns jsonb
language sql
set search_path = ''
as $$
  update public.sync_jobs j set
    status = 'running',
    attempts = j.attempts + 1,
    locked_until = now() + make_interval(secs => p_lease_seconds),
    updated_at = now()
  where j.id = p_job_id
    and ((j.status in ('pending', 'retrying') and j.next_attempt_at <= now() + interval '1 second')
         or (j.status = 'running' and j.locked_until < now()))
  returning to_jsonb(j)
$$;

-- Records an attempt's end. p_status: done | skipped | retrying | dead, or held (a switch is
-- off: back to retrying without counting the attempt).
-- A reverse sync that is done writes the Bitrix order id back to its CRM order.
create or replace function public.finish_sync_job(p_job_id uuid, p_status text, p_error text,
                                                  p_retry_in_seconds integer, p_result jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_job public.sync_jobs%rowtype;
begin
  update public.sync_jobs j set
    status = case when p_status = 'held' then 'retrying' else p_status end,
    attempts = case when p_status = 'held' then greatest(j.attempts - 1, 0) else j.attempts end,
    last_error = coalesce(p_error, j.last_error),
    result = coalesce(p_result, j.result),
    next_attempt_at = case when p_status in ('retrying', 'held') then now() + make_interval(secs => coalesce(p_retry_in_seconds, 0))
                           else j.next_attempt_at end,
    locked_until = null,
    updated_at = now(),
    done_at = case when p_status in ('done', 'skipped') then now() else j.done_at end
  -- A finished job stays finished (a late dead-letter report must not undo a success).
  where j.id = p_job_id and j.status not in ('done', 'skipped')
  returning * into v_job;

  if v_job.flow = 'reverse_sync' and p_status = 'done' and p_result ? 'bitrix_order_id' then
    update public.orders o set bitrix_order_id = (p_result ->> 'bitrix_order_id')::bigint, updated_at = now()
    where o.id = (v_job.payload ->> 'order_id')::uuid and o.bitrix_order_id is null;
  end if;
end
$$;

-- Stores a webhook apply that gave up in the queue (Supabase was down too long) as a dead job.
create or replace function public.record_dead_webhook(p_event_key text, p_body jsonb, p_error text, p_attempts integer)
returns uuid
language sql
set search_path = ''
as $$
  insert into public.sync_jobs (flow, idempotency_key, payload, status, attempts, last_error)
  values ('webhook_apply', 'webhook:' || p_event_key, p_body, 'dead', p_attempts, p_error)
  on conflict (idempotency_key) do update set
    status = case when public.sync_jobs.status in ('done', 'skipped') then public.sync_jobs.status else 'dead' end,
    last_error = excluded.last_error, attempts = excluded.attempts, updated_at = now()
  returning id
$$;

-- Jobs to (re)enqueue: due, and not held by a live attempt. Used by the sweep.
create or replace function public.due_sync_jobs(p_limit integer default 100, p_flows text[] default null)
returns setof uuid
language sql
stable
set search_path = ''
as $$
  select j.id from public.sync_jobs j
  where (j.status in ('pending', 'retrying') or (j.status = 'running' and j.locked_until < now()))
    and j.next_attempt_at <= now()
    and (p_flows is null or j.flow = any (p_flows))
  order by j.next_attempt_at
  limit p_limit
$$;

-- Puts dead jobs back in line (one, or all when p_job_id is null). Replaying a job that is not
-- dead does nothing, so a replay can be repeated safely. Returns the ids put back.
create or replace function public.replay_dead_jobs(p_job_id uuid default null)
returns setof uuid
language sql
set search_path = ''
as $$
  update public.sync_jobs j set status = 'pending', attempts = 0, next_attempt_at = now(),
                                locked_until = null, updated_at = now()
  where j.status = 'dead' and (p_job_id is null or j.id = p_job_id)
  returning j.id
$$;

-- Per flow: counts by state, the last success and the last error.
create or replace function public.sync_status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  with flows(flow) as (values ('webhook_apply'), ('reverse_sync'), ('status_sync'), ('availability_sync'), ('telegram'))
  select jsonb_object_agg(f.flow, jsonb_build_object(
    'done', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status in ('done', 'skipped'))
            + case when f.flow = 'webhook_apply' then (select count(*) from public.webhook_events) else 0 end,
    'pending', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status in ('pending', 'running')),
    'retrying', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status = 'retrying'),
    'dead', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status = 'dead'),
    'last_success_at', greatest(
        (select max(j.done_at) from public.sync_jobs j where j.flow = f.flow and j.status = 'done'),
        case when f.flow = 'webhook_apply' then (select max(e.received_at) from public.webhook_events e) end),
    'last_error', (select jsonb_build_object('at', j.updated_at, 'error', j.last_error)
                   from public.sync_jobs j where j.flow = f.flow and j.last_error is not null
                   order by j.updated_at desc limit 1)))
  from flows f
$$;

-- The order as the shop chat and the Bitrix gateway see it: names for city, slot and shop.
create or replace function public.order_card(p_order_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'order_id', o.id, 'bitrix_order_id', o.bitrix_order_id, 'order_number', o.order_number,
    'origin', o.origin, 'status', o.status, 'status_raw', o.status_raw,
    'total_amount', o.total_amount::text, 'delivery_fee', o.delivery_fee::text, 'currency', o.currency,
    'recipient_name', o.recipient_name, 'recipient_phone', o.recipient_phone,
    'delivery_address', o.delivery_address, 'postcard_text', o.postcard_text,
    'customer_comment', o.customer_comment,
    'delivery_date', o.delivery_date, 'delivery_time_id', o.delivery_time_id,
    'bitrix_city_id', o.bitrix_city_id, 'bitrix_shop_id', o.bitrix_shop_id,
    'delivery_slot', (select s.label from public.delivery_time_slots s where s.bitrix_slot_id = o.delivery_time_id),
    'city', (select c.name from public.cities c where c.bitrix_city_id = o.bitrix_city_id),
    'shop', (select s.name from public.shops s where s.bitrix_shop_id = o.bitrix_shop_id),
    'items', coalesce((select jsonb_agg(jsonb_build_object(
                 'name', i.product_snapshot ->> 'name', 'price', i.price::text, 'quantity', i.quantity::text,
                 'bitrix_product_id', i.bitrix_product_id, 'product_id', i.product_id)
               order by i.created_at, i.bitrix_basket_id)
             from public.order_items i where i.order_id = o.id), '[]'::jsonb))
  from public.orders o where o.id = p_order_id
$$;

do $$
declare f text;
begin
  foreach f in array array['add_sync_job(text,text,jsonb)', 'claim_sync_job(uuid,integer)',
    'finish_sync_job(uuid,text,text,integer,jsonb)', 'record_dead_webhook(text,jsonb,text,integer)',
    'due_sync_jobs(integer,text[])', 'replay_dead_jobs(uuid)', 'sync_status()', 'order_card(uuid)']
  loop
    execute format('revoke all on function public.%s from public, anon, authenticated', f);
    execute format('grant execute on function public.%s to service_role', f);
  end loop;
end
$$;
