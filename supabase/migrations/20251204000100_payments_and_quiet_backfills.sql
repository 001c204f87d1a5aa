-- Issue 17: payments and quiet backfills.
-- (1) Payments: the webhook says whether the order is paid, how much and by which pay system;
--     the order keeps it (null: never said, e.g. an order from before the kit sent it).
-- (2) An order Bitrix created more than a day ago (the Worker passes the age as
--     quiet_after_seconds) that the CRM hears of for the first time is a backfill or a resend:
--     stored without a message of its own (orders.loaded_from_bitrix_at), shown on its timeline,
--     and summed up in one message once the backfill goes quiet (backfill_to_announce).

alter table public.orders
  add column paid boolean,
  add column sum_paid numeric(12, 2),
  add column pay_system_id bigint,
  add column pay_system_name text,
  add column loaded_from_bitrix_at timestamptz;

comment on column public.orders.paid is 'Bitrix PAYED (Y/N); null while Bitrix never said';
comment on column public.orders.loaded_from_bitrix_at is 'Set when an old order was stored silently (a backfill or a resend)';

create index orders_loaded_from_bitrix_idx on public.orders (loaded_from_bitrix_at)
  where loaded_from_bitrix_at is not null;

create or replace function public.apply_bitrix_order_event(command jsonb) returns jsonb
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
  -- An order Bitrix created longer ago than this (the Worker's rule, passed) is a backfill or a
  -- resend when the CRM first hears of it: stored silently, summed up later in one message.
  v_quiet constant boolean := coalesce((c_order ->> 'bitrix_created_at')::timestamptz
    < now() - make_interval(secs => (command ->> 'quiet_after_seconds')::integer), false);
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
    paid              = case when v_apply_details and c_order ? 'paid' then (c_order ->> 'paid')::boolean else o.paid end,
    sum_paid          = case when v_apply_details and c_order ? 'sum_paid' then (c_order ->> 'sum_paid')::numeric else o.sum_paid end,
    pay_system_id     = case when v_apply_details and c_order ? 'pay_system_id' then (c_order ->> 'pay_system_id')::bigint else o.pay_system_id end,
    pay_system_name   = case when v_apply_details and c_order ? 'pay_system_name' then c_order ->> 'pay_system_name' else o.pay_system_name end,
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
  -- An old order heard of for the first time (a backfill, a resend) gets no message of its own.
  if v_apply_details and not v_order.details_known and v_quiet then
    update public.orders o set loaded_from_bitrix_at = now() where o.id = v_order.id;
  elsif v_apply_details and not v_order.details_known then
    v_job := public.add_job(command -> 'jobs' -> 'new_order_message', jsonb_build_object('order_id', v_order.id));
    v_jobs := v_jobs || v_job;
  elsif v_order.details_known and not v_created and v_new_status is distinct from v_order.status then
    v_job := public.add_job(command -> 'jobs' -> 'status_message',
                            jsonb_build_object('order_id', v_order.id, 'change', v_key, 'status', v_new_status));
    v_jobs := v_jobs || v_job;
  end if;

  return jsonb_build_object('outcome', v_outcome, 'order_id', v_order.id,
                            'jobs', to_jsonb(array_remove(v_jobs, null)));
end
$$;;

create or replace function public.order_timeline(p_order_id uuid) returns jsonb
language sql stable
set search_path = ''
as $$
  -- Within one instant (a webhook and the jobs its transaction wrote), causes before effects.
  select coalesce(jsonb_agg(entry order by (entry ->> 'at')::timestamptz,
                            case entry ->> 'kind' when 'webhook' then 0 when 'loaded' then 1 when 'change' then 2 else 3 end), '[]'::jsonb)
  from (
    select jsonb_build_object('at', w.received_at, 'kind', 'webhook', 'event', w.event_type, 'outcome', w.outcome) as entry
    from public.webhook_events w where w.order_id = p_order_id
    union all
    select jsonb_build_object('at', o.loaded_from_bitrix_at, 'kind', 'loaded', 'bitrix_created_at', o.bitrix_created_at)
    from public.orders o where o.id = p_order_id and o.loaded_from_bitrix_at is not null
    union all
    select jsonb_build_object('at', c.at, 'kind', 'change', 'change', c.kind, 'actor', c.actor, 'detail', c.detail)
    from public.crm_changes c where c.order_id = p_order_id
    union all
    select jsonb_build_object('at', j.created_at, 'kind', 'job', 'flow', j.flow, 'status', j.status,
                              'attempts', j.attempts, 'last_error', j.last_error, 'occasion', j.payload ->> 'occasion',
                              'updated_at', j.updated_at, 'done_at', j.done_at)
    from public.sync_jobs j where j.payload ->> 'order_id' = p_order_id::text
  ) entries
$$;;

create or replace function public.order_view_of(o public.orders, p_items boolean default true) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', o.id, 'origin', o.origin, 'bitrix_order_id', o.bitrix_order_id, 'order_number', o.order_number,
    'status', o.status, 'status_raw', o.status_raw,
    'total_amount', o.total_amount::text, 'delivery_fee', o.delivery_fee::text, 'currency', o.currency,
    'recipient_name', o.recipient_name, 'recipient_phone', o.recipient_phone,
    'delivery_address', o.delivery_address, 'postcard_text', o.postcard_text,
    'customer_comment', o.customer_comment, 'delivery_date', o.delivery_date,
    'delivery_slot', case when o.delivery_time_id is not null then jsonb_build_object('id', o.delivery_time_id,
        'name', (select s.label from public.delivery_time_slots s where s.bitrix_slot_id = o.delivery_time_id)) end,
    'city', case when o.bitrix_city_id is not null then jsonb_build_object('id', o.bitrix_city_id,
        'name', (select c.name from public.cities c where c.bitrix_city_id = o.bitrix_city_id)) end,
    'shop', case when o.bitrix_shop_id is not null then jsonb_build_object('id', o.bitrix_shop_id,
        'name', (select s.name from public.shops s where s.bitrix_shop_id = o.bitrix_shop_id)) end,
    'details_known', o.details_known,
    'payment', case when o.paid is not null then jsonb_build_object('paid', o.paid, 'sum_paid', o.sum_paid::text,
        'pay_system_id', o.pay_system_id, 'pay_system_name', o.pay_system_name) end,
    'items', case when p_items then coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', i.id, 'bitrix_basket_id', i.bitrix_basket_id, 'bitrix_product_id', i.bitrix_product_id,
               'product_id', i.product_id, 'name', i.product_snapshot ->> 'name',
               'currency', i.product_snapshot ->> 'currency', 'price', i.price::text, 'quantity', i.quantity::text)
             order by i.created_at, i.bitrix_basket_id)
      from public.order_items i where i.order_id = o.id), '[]'::jsonb) else '[]'::jsonb end,
    'created_at', o.created_at, 'updated_at', o.updated_at)
$$;;

-- The silent loads not yet summed up, once none came for p_quiet_seconds: how many, the
-- creation dates they span, and the newest load (the summary's key). Null when there is nothing
-- to say yet. The last summary is the newest job made from p_template (the Worker's), whose
-- payload keeps the load it counted up to ('until').
create or replace function public.backfill_to_announce(p_quiet_seconds integer, p_template jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with last as (
    select coalesce(max((j.payload ->> 'until')::timestamptz), '-infinity'::timestamptz) as until
    from public.sync_jobs j
    where j.flow = p_template ->> 'flow'
      and j.payload ->> 'occasion' = p_template -> 'payload' ->> 'occasion'
  ), loads as (
    select o.loaded_from_bitrix_at as at, o.bitrix_created_at as created
    from public.orders o, last
    where o.loaded_from_bitrix_at > last.until
  )
  select case when count(*) > 0 and max(at) <= now() - make_interval(secs => p_quiet_seconds) then
    jsonb_build_object('count', count(*), 'from', min(created), 'to', max(created), 'until', max(at))
  end
  from loads
$$;

select public.grant_to_service_role_only(array['backfill_to_announce(integer,jsonb)']);
