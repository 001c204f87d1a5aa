-- Issue 9: the Bitrix kit's side of the contract.
--
-- (1) Exact echoes. The kit's webhook sender puts data.crm_change_key on every webhook: null for
-- a save made in Bitrix, or the idempotency key of the gateway request (a sync_jobs key) whose
-- save fired it. apply_bitrix_order_event recognises the echo of the CRM's own change by that key
-- alone, so a real change made in Bitrix to the same status code is never hidden; webhooks
-- without the field (Bitrix's older sender) keep the status-echo window of 20251124000300.
-- The function is that migration's, with the echo decision replaced (marked below).
--
-- (2) Reconciliation runs (src/core/reconcile.rs): each compares Bitrix's orders.snapshot for a
-- period with the orders here, asks Bitrix to resend what differs, and is kept with its counts;
-- a run that found drift queues one Telegram message.
--
-- (3) A Bitrix job names the state it was made for (a status job its status, an availability
-- job its stock code: crm_set_product_availability of 20251130000100), so that every attempt of
-- one job sends the gateway the same request under its Idempotency-Key, and a job a later change
-- superseded sends nothing.

create or replace function public.apply_bitrix_order_event(command jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_order constant jsonb := coalesce(command -> 'order', '{}'::jsonb);
  c_user constant jsonb := command -> 'user';
  v_key constant text := command ->> 'event_key';
  v_event constant text := command ->> 'event';
  v_bitrix_id constant bigint := (command ->> 'bitrix_order_id')::bigint;
  v_changed_at constant timestamptz := (command ->> 'changed_at')::timestamptz;
  v_order public.orders%rowtype;
  v_created boolean;
  v_stale boolean;
  v_apply_details boolean;
  v_before jsonb;
  v_outcome text;
  v_status_raw constant text := command ->> 'status_raw';
  v_is_echo boolean;
  -- The kit's sender always says crm_change_key (null or a key); Bitrix's older sender never does.
  v_key_mode constant boolean := command ? 'crm_change_key';
  v_change_key constant text := command ->> 'crm_change_key';
  v_new_status text;
  v_jobs uuid[] := '{}';
  v_job uuid;
begin
  if v_key is null or v_bitrix_id is null or v_event is null then
    raise exception 'apply_bitrix_order_event: event_key, event and bitrix_order_id are required'
      using errcode = '22023';
  end if;

  -- (1) Claim the event. A second copy waits here until the first commits, then does nothing.
  insert into public.webhook_events (event_key, event_type, bitrix_order_id, changed_at, outcome, payload)
  values (v_key, v_event, v_bitrix_id, v_changed_at, 'pending', coalesce(command -> 'payload', 'null'::jsonb))
  on conflict (event_key) do nothing;
  if not found then
    return jsonb_build_object('outcome', 'duplicate', 'order_id',
      (select o.id from public.orders o where o.bitrix_order_id = v_bitrix_id));
  end if;

  -- (2) An order the CRM created and sent to Bitrix: link it by the CRM id it carries.
  if command ->> 'crm_order_id' is not null then
    update public.orders o set bitrix_order_id = v_bitrix_id
    where o.id = (command ->> 'crm_order_id')::uuid and o.origin = 'crm' and o.bitrix_order_id is null
      and not exists (select 1 from public.orders x where x.bitrix_order_id = v_bitrix_id);
  end if;

  -- Make sure the order row exists, then lock it: events for one order apply one at a time.
  insert into public.orders (bitrix_order_id, details_known)
  values (v_bitrix_id, false)
  on conflict (bitrix_order_id) do nothing;
  v_created := found;
  select * into v_order from public.orders o where o.bitrix_order_id = v_bitrix_id for update;
  v_before := public.order_fingerprint(v_order.id);

  -- (3) Stale: older than the newest event applied. An order known only from a status change
  -- still takes the details of its older order.create / order.update, but not its status.
  v_stale := not v_created and v_changed_at is not null and v_order.bitrix_updated_at is not null
             and v_changed_at < v_order.bitrix_updated_at;
  v_apply_details := v_event <> 'order.status.change' and (not v_stale or not v_order.details_known);

  if v_stale and not v_apply_details then
    update public.webhook_events set outcome = 'stale', order_id = v_order.id where event_key = v_key;
    return jsonb_build_object('outcome', 'stale', 'order_id', v_order.id);
  end if;

  -- An echo: with the kit's sender, exactly the save the gateway made for one of this order's
  -- CRM requests (its job's key), whenever it arrives; a save made in Bitrix is never one. With
  -- the older sender, a status the CRM sent within the echo window.
  v_is_echo := not v_stale and case
    when v_key_mode then v_change_key is not null and exists (
      select 1 from public.sync_jobs j
      where j.idempotency_key = v_change_key and j.flow in ('reverse_sync', 'status_sync')
        and j.payload ->> 'order_id' = v_order.id::text)
    else v_status_raw is not null and v_status_raw = any (v_order.status_echoes)
         and v_order.status_echoes_until > now()
  end;

  -- (4) The order's own fields.
  update public.orders o set
    order_number      = case when v_apply_details and c_order ? 'order_number' then c_order ->> 'order_number' else o.order_number end,
    bitrix_user_id    = case when v_apply_details and c_order ? 'bitrix_user_id' then (c_order ->> 'bitrix_user_id')::bigint else o.bitrix_user_id end,
    total_amount      = case when v_apply_details and c_order ? 'total_amount' then (c_order ->> 'total_amount')::numeric else o.total_amount end,
    delivery_fee      = case when v_apply_details and c_order ? 'delivery_fee' then (c_order ->> 'delivery_fee')::numeric else o.delivery_fee end,
    currency          = case when v_apply_details and c_order ? 'currency' then c_order ->> 'currency' else o.currency end,
    bitrix_created_at = case when v_apply_details and c_order ? 'bitrix_created_at' then (c_order ->> 'bitrix_created_at')::timestamptz else o.bitrix_created_at end,
    customer_comment  = case when v_apply_details and c_order ? 'customer_comment' then c_order ->> 'customer_comment' else o.customer_comment end,
    recipient_name    = case when v_apply_details and c_order ? 'recipient_name' then c_order ->> 'recipient_name' else o.recipient_name end,
    recipient_phone   = case when v_apply_details and c_order ? 'recipient_phone' then c_order ->> 'recipient_phone' else o.recipient_phone end,
    delivery_address  = case when v_apply_details and c_order ? 'delivery_address' then c_order ->> 'delivery_address' else o.delivery_address end,
    postcard_text     = case when v_apply_details and c_order ? 'postcard_text' then c_order ->> 'postcard_text' else o.postcard_text end,
    delivery_date     = case when v_apply_details and c_order ? 'delivery_date' then (c_order ->> 'delivery_date')::date else o.delivery_date end,
    bitrix_city_id    = case when v_apply_details and c_order ? 'bitrix_city_id' then (c_order ->> 'bitrix_city_id')::bigint else o.bitrix_city_id end,
    delivery_time_id  = case when v_apply_details and c_order ? 'delivery_time_id' then (c_order ->> 'delivery_time_id')::bigint else o.delivery_time_id end,
    bitrix_shop_id    = case when v_apply_details and c_order ? 'bitrix_shop_id' then (c_order ->> 'bitrix_shop_id')::bigint else o.bitrix_shop_id end,
    details_known     = o.details_known or v_apply_details,
    status            = case when not v_stale and not v_is_echo and command ->> 'status' is not null then command ->> 'status' else o.status end,
    status_raw        = case when not v_stale and not v_is_echo and v_status_raw is not null then v_status_raw else o.status_raw end,
    status_echoes     = case when v_is_echo and not v_key_mode then array_remove(o.status_echoes, v_status_raw)
                             when o.status_echoes_until <= now() then '{}' else o.status_echoes end,
    bitrix_updated_at = case when v_stale then o.bitrix_updated_at else greatest(o.bitrix_updated_at, v_changed_at) end
  where o.id = v_order.id
  returning o.status into v_new_status;

  -- (5) Items: exactly the lines sent, when a basket was sent.
  if v_apply_details and jsonb_typeof(command -> 'items') = 'array' then
    insert into public.order_items as i (order_id, bitrix_basket_id, bitrix_product_id, product_id,
                                         product_snapshot, price, quantity)
    select v_order.id,
           (line ->> 'bitrix_basket_id')::bigint,
           (line ->> 'bitrix_product_id')::bigint,
           (select p.id from public.products p
             where p.metadata -> 'properties' ->> 'bitrix_id' = line ->> 'bitrix_product_id'),
           coalesce(line -> 'product_snapshot', '{}'::jsonb),
           (line ->> 'price')::numeric,
           (line ->> 'quantity')::numeric
    from jsonb_array_elements(command -> 'items') as line
    on conflict (order_id, bitrix_basket_id) do update set
      bitrix_product_id = excluded.bitrix_product_id,
      product_id = excluded.product_id,
      product_snapshot = excluded.product_snapshot,
      price = excluded.price,
      quantity = excluded.quantity
    where (i.bitrix_product_id, i.product_id, i.product_snapshot, i.price, i.quantity)
          is distinct from (excluded.bitrix_product_id, excluded.product_id, excluded.product_snapshot,
                            excluded.price, excluded.quantity);

    -- Bitrix's basket is the truth once it is sent: lines it no longer has go, and so do the
    -- lines a CRM order had before Bitrix gave them basket ids.
    delete from public.order_items i
    where i.order_id = v_order.id
      and (i.bitrix_basket_id is null or i.bitrix_basket_id not in (
        select (line ->> 'bitrix_basket_id')::bigint from jsonb_array_elements(command -> 'items') as line));
  end if;

  -- (6) The buyer.
  if v_apply_details and jsonb_typeof(c_user) = 'object' then
    insert into public.users as u (bitrix_user_id, first_name, last_name, email, phone)
    values ((c_user ->> 'bitrix_user_id')::bigint, c_user ->> 'first_name', c_user ->> 'last_name',
            c_user ->> 'email', c_user ->> 'phone')
    on conflict (bitrix_user_id) do update set
      first_name = case when c_user ? 'first_name' then excluded.first_name else u.first_name end,
      last_name  = case when c_user ? 'last_name' then excluded.last_name else u.last_name end,
      email      = case when c_user ? 'email' then excluded.email else u.email end,
      phone      = case when c_user ? 'phone' then excluded.phone else u.phone end,
      updated_at = now();
  end if;

  -- (7) Say what happened.
  v_outcome := case
    when v_created then 'created'
    when public.order_fingerprint(v_order.id) is distinct from v_before then 'updated'
    else 'unchanged'
  end;
  if v_outcome = 'updated' then
    update public.orders o set updated_at = now() where o.id = v_order.id;
  end if;
  update public.webhook_events set outcome = v_outcome, order_id = v_order.id where event_key = v_key;

  -- (8) Notifications, once per cause: a new order when its details first become known, a
  -- status change when Bitrix really changed the status of an order the shop already knows.
  if v_apply_details and not v_order.details_known then
    v_job := public.add_sync_job('telegram', 'telegram:new_order:' || v_order.id,
                                 jsonb_build_object('order_id', v_order.id, 'occasion', 'new_order'));
    v_jobs := v_jobs || v_job;
  elsif v_order.details_known and not v_created and v_new_status is distinct from v_order.status then
    v_job := public.add_sync_job('telegram', 'telegram:status:' || v_order.id || ':' || v_key,
                                 jsonb_build_object('order_id', v_order.id, 'occasion', 'status_changed',
                                                    'status', v_new_status));
    v_jobs := v_jobs || v_job;
  end if;

  return jsonb_build_object('outcome', v_outcome, 'order_id', v_order.id,
                            'jobs', to_jsonb(array_remove(v_jobs, null)));
end
$$;

revoke all on function public.apply_bitrix_order_event(jsonb) from public, anon, authenticated;
grant execute on function public.apply_bitrix_order_event(jsonb) to service_role;

create table public.reconciliations (
  id uuid primary key default gen_random_uuid(),
  trigger text not null check (trigger in ('scheduled', 'on_demand')),
  -- The Almaty day it ran on: one finished scheduled run per day.
  day date not null,
  period_from date not null,
  period_to date not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  bitrix_orders integer,
  busy integer,
  missing integer,
  other_status integer,
  other_total integer,
  resent integer,
  truncated boolean not null default false,
  error text,
  -- At most the first 1000 (the Worker bounds it); the counts above are complete.
  differences jsonb not null default '[]'::jsonb,
  check (period_from <= period_to)
);
create index reconciliations_started_idx on public.reconciliations (started_at desc);
alter table public.reconciliations enable row level security;
grant select, insert, update on public.reconciliations to service_role;

-- Starts a run and returns its id, or null when the day's scheduled run is not to start: it
-- finished, or it is running (started in the last 10 minutes), or it failed in the last 10
-- minutes (the cron tries again after that). An on-demand run always starts.
create or replace function public.start_reconciliation(p_trigger text, p_day date, p_from date, p_to date)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid;
begin
  if p_trigger = 'scheduled' then
    -- Two cron invocations at once: the second waits here, then sees the first's row.
    perform pg_advisory_xact_lock(hashtext('reconcile:' || p_day));
    if exists (select 1 from public.reconciliations r
               where r.trigger = 'scheduled' and r.day = p_day
                 and ((r.finished_at is not null and r.error is null)
                      or (r.finished_at is null and r.started_at > now() - interval '10 minutes')
                      or (r.error is not null and r.finished_at > now() - interval '10 minutes'))) then
      return null;
    end if;
  end if;
  insert into public.reconciliations (trigger, day, period_from, period_to)
  values (p_trigger, p_day, p_from, p_to)
  returning id into v_id;
  return v_id;
end
$$;

-- What the CRM holds for the snapshot's orders (only those whose details arrived: an order
-- known only from a status change counts as missing). busy: a change of the CRM's is on its
-- way to Bitrix, so the two may differ for a moment and a resend would undo it.
create or replace function public.reconcile_rows(p_ids bigint[])
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'bitrix_order_id', o.bitrix_order_id, 'status_raw', o.status_raw, 'total_amount', o.total_amount::text,
    'busy', exists (select 1 from public.sync_jobs j
                    where j.payload ->> 'order_id' = o.id::text and j.flow in ('reverse_sync', 'status_sync')
                      and j.status in ('pending', 'retrying', 'running')))), '[]'::jsonb)
  from public.orders o
  where o.bitrix_order_id = any (p_ids) and o.details_known
$$;

-- Records how a run ended; a run that found drift queues its one Telegram message.
create or replace function public.finish_reconciliation(p_id uuid, p_outcome jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_drift integer;
  v_job uuid;
begin
  update public.reconciliations r set
    finished_at = now(),
    bitrix_orders = (p_outcome ->> 'bitrix_orders')::integer,
    busy = (p_outcome ->> 'busy')::integer,
    missing = (p_outcome ->> 'missing')::integer,
    other_status = (p_outcome ->> 'other_status')::integer,
    other_total = (p_outcome ->> 'other_total')::integer,
    resent = (p_outcome ->> 'resent')::integer,
    truncated = coalesce((p_outcome ->> 'truncated')::boolean, false),
    error = p_outcome ->> 'error',
    differences = coalesce(p_outcome -> 'differences', '[]'::jsonb)
  where r.id = p_id and r.finished_at is null;
  if not found then
    return '[]'::jsonb;
  end if;
  v_drift := coalesce((p_outcome ->> 'missing')::integer, 0) + coalesce((p_outcome ->> 'other_status')::integer, 0)
             + coalesce((p_outcome ->> 'other_total')::integer, 0);
  if v_drift > 0 then
    v_job := public.add_sync_job('telegram', 'telegram:reconciliation:' || p_id,
                                 jsonb_build_object('occasion', 'reconciliation', 'reconciliation_id', p_id));
  end if;
  return to_jsonb(array_remove(array[v_job], null));
end
$$;

-- A run (the newest when p_id is null), with its differences when p_details.
create or replace function public.reconciliation_view(p_id uuid default null, p_details boolean default true)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select case when p_details then to_jsonb(r) else to_jsonb(r) - 'differences' end
  from public.reconciliations r
  where p_id is null or r.id = p_id
  order by r.started_at desc
  limit 1
$$;

-- The sync page, now with the newest reconciliation.
create or replace function public.sync_page(p_limit integer)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('flows', public.sync_status(), 'dead_letters', public.dead_letters(p_limit),
                            'reconciliation', public.reconciliation_view(null, false))
$$;

select public.grant_to_service_role_only(array['start_reconciliation(text,date,date,date)', 'reconcile_rows(bigint[])',
    'finish_reconciliation(uuid,jsonb)', 'reconciliation_view(uuid,boolean)', 'sync_page(integer)']);
