-- The staff's CRM in the browser: accounts, sessions and failed logins; who changed what
-- (crm_changes); the reads each page makes in one call (order_page, day_board, sync_page).
-- The CRM's change functions take the actor ({"staff_id": ..., "name": ...}; the API is
-- {"name": "API"}) and record the change; the stock codes and the status echo window come from
-- the Worker (src/core/views.rs Stock, src/core/jobs.rs echo_window).

create table public.staff (
  id uuid primary key default gen_random_uuid(),
  login text not null unique check (login = lower(login) and length(login) between 1 and 64),
  name text not null check (length(name) between 1 and 200),
  -- Argon2id PHC string (src/core/session.rs); set by scripts/staff.sh, never by the Worker.
  password_hash text not null,
  created_at timestamptz not null default now(),
  disabled_at timestamptz
);

create table public.staff_sessions (
  -- 32 random bytes, URL-safe; the cookie carries it signed with SESSION_SECRET.
  id text primary key,
  staff_id uuid not null references public.staff (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz
);
create index staff_sessions_staff_idx on public.staff_sessions (staff_id);

create table public.staff_login_failures (
  id bigint generated always as identity primary key,
  login text not null,
  at timestamptz not null default now()
);
create index staff_login_failures_login_idx on public.staff_login_failures (login, at desc);

-- Every change made in the CRM (pages or API), with who made it: the order card's timeline.
create table public.crm_changes (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  staff_id uuid references public.staff (id) on delete set null,
  actor text not null,
  order_id uuid references public.orders (id) on delete cascade,
  product_id uuid references public.products (id) on delete cascade,
  job_id uuid references public.sync_jobs (id) on delete set null,
  kind text not null check (kind in ('order_created', 'status_set', 'availability_set', 'dead_letter_replayed')),
  detail jsonb not null default '{}'::jsonb
);
create index crm_changes_order_idx on public.crm_changes (order_id, at);
create index crm_changes_product_idx on public.crm_changes (product_id, at);

-- An order's jobs, found by their payload (the timeline, settled tests).
create index sync_jobs_order_idx on public.sync_jobs ((payload ->> 'order_id'));
create index orders_delivery_slot_idx on public.orders (delivery_date, delivery_time_id);

do $$
declare t text;
begin
  foreach t in array array['staff', 'staff_sessions', 'staff_login_failures', 'crm_changes']
  loop
    execute format('alter table public.%I enable row level security', t);
    execute format('grant select, insert, update, delete on public.%I to service_role', t);
  end loop;
end
$$;
grant usage, select on all sequences in schema public to service_role;

create or replace function public.record_crm_change(p_actor jsonb, p_kind text, p_order_id uuid, p_product_id uuid,
                                                    p_job_id uuid, p_detail jsonb)
returns void
language sql
set search_path = ''
as $$
  insert into public.crm_changes (staff_id, actor, order_id, product_id, job_id, kind, detail)
  values ((p_actor ->> 'staff_id')::uuid, coalesce(nullif(p_actor ->> 'name', ''), 'API'), p_order_id, p_product_id,
          p_job_id, p_kind, coalesce(p_detail, '{}'::jsonb))
$$;

-- ---------------------------------------------------------------------------------- logins
-- What the login form needs: the account (when the login has one) and its failures within the
-- last p_window_seconds (the lockout rule itself is src/core/session.rs locked_until).
create or replace function public.staff_login_state(p_login text, p_window_seconds integer)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'staff', (select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name, 'password_hash', s.password_hash)
              from public.staff s where s.login = lower(p_login) and s.disabled_at is null),
    'failures', coalesce((select jsonb_agg(f.at order by f.at)
                          from public.staff_login_failures f
                          where f.login = lower(p_login) and f.at > now() - make_interval(secs => p_window_seconds)),
                         '[]'::jsonb))
$$;

-- Records a login's outcome: a failure, or a new session (which clears the login's failures).
create or replace function public.staff_login_result(p_login text, p_staff_id uuid, p_session_id text,
                                                     p_lifetime_seconds integer)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_session_id is null then
    insert into public.staff_login_failures (login) values (lower(p_login));
    -- Failures older than a day tell nothing anymore.
    delete from public.staff_login_failures f where f.login = lower(p_login) and f.at < now() - interval '1 day';
  else
    insert into public.staff_sessions (id, staff_id, expires_at)
    values (p_session_id, p_staff_id, now() + make_interval(secs => p_lifetime_seconds));
    delete from public.staff_login_failures f where f.login = lower(p_login);
  end if;
end
$$;

-- The staff member of a live session, or null (ended, expired, unknown, account disabled).
create or replace function public.staff_session(p_session_id text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name)
  from public.staff_sessions x join public.staff s on s.id = x.staff_id
  where x.id = p_session_id and x.ended_at is null and x.expires_at > now() and s.disabled_at is null
$$;

create or replace function public.staff_logout(p_session_id text)
returns void
language sql
set search_path = ''
as $$
  update public.staff_sessions set ended_at = now() where id = p_session_id and ended_at is null
$$;

-- ------------------------------------------------------------------------- CRM changes
-- p_order: { recipient_name, recipient_phone, delivery_address, postcard_text, delivery_date,
--   delivery_time_id, bitrix_city_id, bitrix_shop_id, customer_comment, delivery_fee, currency,
--   total_amount, items: [{ product_id?, bitrix_product_id?, name?, price, quantity }] }
-- (checked by the Worker). Returns { order_id, jobs, replayed }, or { problems } when an item
-- names an unknown product. With a request key, a repeated call (a double click, a client
-- retry) returns the order it created the first time and queues nothing again. The status code
-- "N" is expected back from Bitrix for p_echo_seconds.
drop function public.crm_create_order(jsonb, text);
create or replace function public.crm_create_order(p_order jsonb, p_request_key text, p_echo_seconds integer,
                                                   p_actor jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid;
  v_jobs uuid[] := '{}';
  v_unknown jsonb;
begin
  -- Items naming a CRM product that does not exist: refused with their fields, nothing stored.
  select jsonb_agg(jsonb_build_object('field', format('items[%s].product_id', n - 1), 'message', 'Товар не найден'))
  into v_unknown
  from jsonb_array_elements(p_order -> 'items') with ordinality as l(line, n)
  where line ->> 'product_id' is not null
    and not exists (select 1 from public.products p where p.id = (line ->> 'product_id')::uuid);
  if v_unknown is not null then
    return jsonb_build_object('problems', v_unknown);
  end if;

  insert into public.orders (origin, crm_request_key, status, status_raw, status_echoes, status_echoes_until,
                             total_amount, delivery_fee, currency,
                             recipient_name, recipient_phone, delivery_address, postcard_text, customer_comment,
                             delivery_date, delivery_time_id, bitrix_city_id, bitrix_shop_id, details_known)
  values ('crm', p_request_key, 'new', 'N', array['N'], now() + make_interval(secs => p_echo_seconds),
          (p_order ->> 'total_amount')::numeric, (p_order ->> 'delivery_fee')::numeric,
          coalesce(p_order ->> 'currency', 'KZT'), p_order ->> 'recipient_name', p_order ->> 'recipient_phone',
          p_order ->> 'delivery_address', p_order ->> 'postcard_text', p_order ->> 'customer_comment',
          (p_order ->> 'delivery_date')::date, (p_order ->> 'delivery_time_id')::bigint,
          (p_order ->> 'bitrix_city_id')::bigint, (p_order ->> 'bitrix_shop_id')::bigint, true)
  on conflict (crm_request_key) do nothing
  returning id into v_id;
  if v_id is null then
    select o.id into v_id from public.orders o where o.crm_request_key = p_request_key;
    return jsonb_build_object('order_id', v_id, 'jobs', '[]'::jsonb, 'replayed', true);
  end if;

  insert into public.order_items (order_id, bitrix_product_id, product_id, product_snapshot, price, quantity)
  select v_id,
         coalesce((line ->> 'bitrix_product_id')::bigint, (p.metadata -> 'properties' ->> 'bitrix_id')::bigint),
         p.id,
         jsonb_build_object('name', coalesce(line ->> 'name', p.name), 'currency', coalesce(p_order ->> 'currency', 'KZT')),
         (line ->> 'price')::numeric,
         (line ->> 'quantity')::numeric
  from jsonb_array_elements(p_order -> 'items') with ordinality as l(line, n)
  left join public.products p
    on p.id = (line ->> 'product_id')::uuid
    or (line ->> 'product_id' is null and p.metadata -> 'properties' ->> 'bitrix_id' = line ->> 'bitrix_product_id')
  order by n;

  v_jobs := v_jobs || public.add_sync_job('reverse_sync', 'bitrix:create_order:' || v_id, jsonb_build_object('order_id', v_id));
  v_jobs := v_jobs || public.add_sync_job('telegram', 'telegram:new_order:' || v_id,
                                         jsonb_build_object('order_id', v_id, 'occasion', 'new_order'));
  perform public.record_crm_change(p_actor, 'order_created', v_id, null, null, '{}'::jsonb);
  return jsonb_build_object('order_id', v_id, 'jobs', to_jsonb(v_jobs), 'replayed', false);
end
$$;

-- Sets a status from the CRM. Returns null for an unknown order, { changed: false } when the
-- order already has it, else { changed: true, jobs }. The Bitrix code sent is expected back as
-- an echo for p_echo_seconds.
drop function public.crm_set_order_status(uuid, text, text);
create or replace function public.crm_set_order_status(p_order_id uuid, p_status text, p_status_raw text,
                                                       p_echo_seconds integer, p_actor jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_old text;
  v_jobs uuid[] := '{}';
  v_change constant text := gen_random_uuid()::text;
begin
  select o.status into v_old from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  if v_old = p_status then
    return jsonb_build_object('changed', false, 'jobs', '[]'::jsonb);
  end if;
  update public.orders o set
    status = p_status,
    status_raw = coalesce(p_status_raw, o.status_raw),
    status_echoes = case when p_status_raw is null then o.status_echoes
                         when o.status_echoes_until > now() then o.status_echoes || p_status_raw
                         else array[p_status_raw] end,
    status_echoes_until = case when p_status_raw is null then o.status_echoes_until
                               else now() + make_interval(secs => p_echo_seconds) end,
    updated_at = now()
  where o.id = p_order_id;
  if p_status_raw is not null then
    v_jobs := v_jobs || public.add_sync_job('status_sync', 'bitrix:status:' || p_order_id || ':' || v_change,
                                           jsonb_build_object('order_id', p_order_id, 'status', p_status));
  end if;
  v_jobs := v_jobs || public.add_sync_job('telegram', 'telegram:status:' || p_order_id || ':crm:' || v_change,
                                         jsonb_build_object('order_id', p_order_id, 'occasion', 'status_changed',
                                                            'status', p_status));
  perform public.record_crm_change(p_actor, 'status_set', p_order_id, null, null,
                                   jsonb_build_object('from', v_old, 'to', p_status));
  return jsonb_build_object('changed', true, 'jobs', to_jsonb(v_jobs));
end
$$;

-- Marks a product in or out of stock with the catalogue code the Worker gives ("158" / "159").
-- Returns null for an unknown product, else { jobs }; a product with no bitrix_id has nothing
-- to sync. The job names its stock code, so each attempt sends the state it was made for.
drop function public.crm_set_product_availability(uuid, boolean);
create or replace function public.crm_set_product_availability(p_product_id uuid, p_stock_code text, p_actor jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_product public.products%rowtype;
  v_jobs uuid[] := '{}';
begin
  update public.products p set
    metadata = jsonb_set(case when jsonb_typeof(p.metadata -> 'properties') = 'object' then p.metadata
                              else jsonb_set(p.metadata, '{properties}', '{}'::jsonb) end,
                         '{properties,IN_STOCK}', to_jsonb(p_stock_code)),
    updated_at = now()
  where p.id = p_product_id
  returning * into v_product;
  if not found then
    return null;
  end if;
  if v_product.metadata -> 'properties' ->> 'bitrix_id' is not null then
    v_jobs := v_jobs || public.add_sync_job('availability_sync',
                                           'bitrix:availability:' || p_product_id || ':' || gen_random_uuid(),
                                           jsonb_build_object('product_id', p_product_id, 'stock', p_stock_code));
  end if;
  perform public.record_crm_change(p_actor, 'availability_set', null, p_product_id, null,
                                   jsonb_build_object('stock', p_stock_code));
  return jsonb_build_object('jobs', to_jsonb(v_jobs));
end
$$;

-- Puts dead jobs back in line (one, or all when p_job_id is null), with a fresh attempt count,
-- and records who did it. Replaying a job that is not dead does nothing, so a replay can be
-- repeated safely. Returns the ids put back.
drop function public.replay_dead_jobs(uuid);
create or replace function public.replay_dead_jobs(p_job_id uuid, p_actor jsonb)
returns setof uuid
language sql
set search_path = ''
as $$
  with replayed as (
    update public.sync_jobs j set status = 'pending', attempts = 0, next_attempt_at = now(),
                                  locked_until = null, updated_at = now()
    where j.status = 'dead' and (p_job_id is null or j.id = p_job_id)
    returning j.id, j.flow, j.payload
  ), recorded as (
    insert into public.crm_changes (staff_id, actor, order_id, product_id, job_id, kind, detail)
    select (p_actor ->> 'staff_id')::uuid, coalesce(nullif(p_actor ->> 'name', ''), 'API'),
           (select o.id from public.orders o where o.id::text = r.payload ->> 'order_id'),
           (select p.id from public.products p where p.id::text = r.payload ->> 'product_id'),
           r.id, 'dead_letter_replayed', jsonb_build_object('flow', r.flow)
    from replayed r
  )
  select r.id from replayed r
$$;

-- ---------------------------------------------------------------------- page reads
-- Everything that happened to an order, oldest first: webhooks applied (with their outcome),
-- changes made in the CRM (with who), jobs (Bitrix calls and messages, with their state).
create or replace function public.order_timeline(p_order_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- Within one instant (a webhook and the jobs its transaction wrote), causes before effects.
  select coalesce(jsonb_agg(entry order by (entry ->> 'at')::timestamptz,
                            case entry ->> 'kind' when 'webhook' then 0 when 'change' then 1 else 2 end), '[]'::jsonb)
  from (
    select jsonb_build_object('at', w.received_at, 'kind', 'webhook', 'event', w.event_type, 'outcome', w.outcome) as entry
    from public.webhook_events w where w.order_id = p_order_id
    union all
    select jsonb_build_object('at', c.at, 'kind', 'change', 'change', c.kind, 'actor', c.actor, 'detail', c.detail)
    from public.crm_changes c where c.order_id = p_order_id
    union all
    select jsonb_build_object('at', j.created_at, 'kind', 'job', 'flow', j.flow, 'status', j.status,
                              'attempts', j.attempts, 'last_error', j.last_error, 'occasion', j.payload ->> 'occasion',
                              'updated_at', j.updated_at, 'done_at', j.done_at)
    from public.sync_jobs j where j.payload ->> 'order_id' = p_order_id::text
  ) entries
$$;

-- The order card in one call.
create or replace function public.order_page(p_order_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('order', public.order_view_of(o), 'timeline', public.order_timeline(o.id))
  from public.orders o where o.id = p_order_id
$$;

-- The delivery slots with their times, in the order of the day.
create or replace function public.slot_list()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', s.bitrix_slot_id, 'label', s.label,
                                               'starts_at', s.starts_at, 'ends_at', s.ends_at)
                            order by s.starts_at nulls last, s.bitrix_slot_id), '[]'::jsonb)
  from public.delivery_time_slots s
$$;

-- The day board in one call: the slots with their times, and the orders to deliver that day.
create or replace function public.day_board(p_date date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'slots', public.slot_list(),
    -- Without their items: the board shows none, and a day of 300 orders is half the bytes.
    'orders', coalesce((select jsonb_agg(public.order_view_of(o, false)
                                         order by o.delivery_time_id nulls last, o.created_at)
                        from public.orders o where o.delivery_date = p_date), '[]'::jsonb))
$$;

-- The reference data a form offers: slots (with times), cities and shops.
create or replace function public.crm_reference()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'slots', public.slot_list(),
    'cities', coalesce((select jsonb_agg(jsonb_build_object('id', c.bitrix_city_id, 'name', c.name) order by c.name)
                        from public.cities c), '[]'::jsonb),
    'shops', coalesce((select jsonb_agg(jsonb_build_object('id', s.bitrix_shop_id, 'name', s.name) order by s.name)
                       from public.shops s), '[]'::jsonb))
$$;

-- The order list in one call: a page of orders and the shops to filter by.
create or replace function public.orders_page(p_filter jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('orders', public.order_views(p_filter), 'reference', public.crm_reference())
$$;

-- The new order form in one call: the reference data and the catalogue (by name, at most 1,000).
create or replace function public.order_form()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select public.crm_reference()
         || jsonb_build_object('products', public.product_views('{"limit": 1000, "offset": 0}'::jsonb))
$$;

-- The sync page in one call: every flow's health and the newest dead letters.
create or replace function public.sync_page(p_limit integer)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('flows', public.sync_status(), 'dead_letters', public.dead_letters(p_limit))
$$;

select public.grant_to_service_role_only(array['record_crm_change(jsonb,text,uuid,uuid,uuid,jsonb)',
    'staff_login_state(text,integer)', 'staff_login_result(text,uuid,text,integer)', 'staff_session(text)',
    'staff_logout(text)', 'crm_create_order(jsonb,text,integer,jsonb)',
    'crm_set_order_status(uuid,text,text,integer,jsonb)', 'crm_set_product_availability(uuid,text,jsonb)',
    'replay_dead_jobs(uuid,jsonb)', 'order_timeline(uuid)', 'order_page(uuid)', 'slot_list()', 'day_board(date)', 'sync_page(integer)',
    'crm_reference()', 'orders_page(jsonb)', 'order_form()']);
