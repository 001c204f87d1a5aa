-- One home per rule, and jobs that cannot spin.
--
-- * sync_flows: the list of job kinds, referenced by sync_jobs.flow (src/core/jobs.rs has the
--   same list as the Flow enum; an integration test proves they agree).
-- * Views: the shapes the CRM shows (API, Telegram, gateway) are built here once, with money as
--   exact text and names beside ids (src/core/views.rs reads them).
-- (claim_sync_job, which hands back an attempt whose consumer died as `orphaned`, is in
-- 20251201000100_the_shops_day.sql.)
-- (The constants that lived in SQL and in Rust, the stock codes and the status echo window,
-- come from Rust as arguments since 20251130000100_staff_and_pages.sql.)

-- Functions this project adds are the Worker's alone: nobody but service_role may call them.
-- Each later migration names its new functions (with their argument types) once.
create or replace function public.grant_to_service_role_only(p_functions text[])
returns void
language plpgsql
set search_path = ''
as $$
declare f text;
begin
  foreach f in array p_functions
  loop
    execute format('revoke all on function public.%s from public, anon, authenticated', f);
    execute format('grant execute on function public.%s to service_role', f);
  end loop;
end
$$;
revoke all on function public.grant_to_service_role_only(text[]) from public, anon, authenticated;

create table public.sync_flows (
  flow text primary key
);
comment on table public.sync_flows is 'The kinds of job in sync_jobs (src/core/jobs.rs Flow)';
insert into public.sync_flows (flow)
values ('webhook_apply'), ('reverse_sync'), ('status_sync'), ('availability_sync'), ('telegram');
alter table public.sync_flows enable row level security;
grant select on public.sync_flows to service_role;

alter table public.sync_jobs drop constraint sync_jobs_flow_check;
alter table public.sync_jobs add constraint sync_jobs_flow_fkey foreign key (flow) references public.sync_flows (flow);

-- Per flow: counts by state, the last success and the last error.
create or replace function public.sync_status()
returns jsonb
language sql
stable
set search_path = ''
as $$
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
  from public.sync_flows f
$$;

-- An order as the CRM shows it (src/core/views.rs OrderView); without its items (an empty list)
-- when p_items is false, for pages that show none.
create or replace function public.order_view_of(o public.orders, p_items boolean default true)
returns jsonb
language sql
stable
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
    'items', case when p_items then coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', i.id, 'bitrix_basket_id', i.bitrix_basket_id, 'bitrix_product_id', i.bitrix_product_id,
               'product_id', i.product_id, 'name', i.product_snapshot ->> 'name',
               'currency', i.product_snapshot ->> 'currency', 'price', i.price::text, 'quantity', i.quantity::text)
             order by i.created_at, i.bitrix_basket_id)
      from public.order_items i where i.order_id = o.id), '[]'::jsonb) else '[]'::jsonb end,
    'created_at', o.created_at, 'updated_at', o.updated_at)
$$;

create or replace function public.order_view(p_order_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select public.order_view_of(o) from public.orders o where o.id = p_order_id
$$;

-- A page of orders, newest first. p_filter: { limit, offset, status?, date?, shop?, origin?,
-- q?, q_like?, q_digits? } (read and checked by src/core/crm.rs). The search matches a part of
-- the recipient's name, or (by digits) a part of the phone, the Bitrix id or the order number.
create or replace function public.order_views(p_filter jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.order_view_of(o) order by o.created_at desc, o.id), '[]'::jsonb)
  from (
    select * from public.orders o
    where (p_filter ->> 'status' is null or o.status = p_filter ->> 'status')
      and (p_filter ->> 'date' is null or o.delivery_date = (p_filter ->> 'date')::date)
      and (p_filter ->> 'shop' is null or o.bitrix_shop_id = (p_filter ->> 'shop')::bigint)
      and (p_filter ->> 'origin' is null or o.origin = p_filter ->> 'origin')
      and (p_filter ->> 'q' is null
           or o.recipient_name ilike p_filter ->> 'q_like'
           or (coalesce(p_filter ->> 'q_digits', '') <> '' and (
                 regexp_replace(coalesce(o.recipient_phone, ''), '[^0-9]', '', 'g') like '%' || (p_filter ->> 'q_digits') || '%'
                 or o.bitrix_order_id::text = p_filter ->> 'q_digits'
                 or o.order_number = p_filter ->> 'q_digits')))
    order by o.created_at desc, o.id
    limit (p_filter ->> 'limit')::integer offset (p_filter ->> 'offset')::integer
  ) o
$$;

-- A catalogue product as the CRM shows it (src/core/views.rs ProductView).
create or replace function public.product_view_of(p public.products)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', p.id, 'name', p.name, 'price', p.price::text,
    'bitrix_product_id', case when p.metadata -> 'properties' ->> 'bitrix_id' ~ '^[0-9]{1,18}$'
                              then (p.metadata -> 'properties' ->> 'bitrix_id')::bigint end,
    'stock', p.metadata -> 'properties' ->> 'IN_STOCK',
    'ru_url', p.metadata -> 'properties' ->> 'ru_url',
    'updated_at', p.updated_at)
$$;

create or replace function public.product_view(p_product_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select public.product_view_of(p) from public.products p where p.id = p_product_id
$$;

-- A page of products by name. p_filter: { limit, offset, q?, q_like?, stock? } (stock: the
-- catalogue code to match, from src/core/views.rs).
create or replace function public.product_views(p_filter jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.product_view_of(p) order by p.name, p.id), '[]'::jsonb)
  from (
    select * from public.products p
    where (p_filter ->> 'q' is null or p.name ilike p_filter ->> 'q_like')
      and (p_filter ->> 'stock' is null or p.metadata -> 'properties' ->> 'IN_STOCK' = p_filter ->> 'stock')
    order by p.name, p.id
    limit (p_filter ->> 'limit')::integer offset (p_filter ->> 'offset')::integer
  ) p
$$;

-- The newest dead letters (src/core/views.rs DeadLetter).
create or replace function public.dead_letters(p_limit integer default 200)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', j.id, 'flow', j.flow, 'idempotency_key', j.idempotency_key, 'payload', j.payload,
           'attempts', j.attempts, 'last_error', j.last_error, 'created_at', j.created_at, 'updated_at', j.updated_at)
         order by j.updated_at desc, j.id), '[]'::jsonb)
  from (select * from public.sync_jobs j where j.status = 'dead' order by j.updated_at desc, j.id limit p_limit) j
$$;

drop function public.order_card(uuid);

select public.grant_to_service_role_only(array['sync_status()', 'order_view_of(public.orders,boolean)',
    'order_view(uuid)', 'order_views(jsonb)', 'product_view_of(public.products)', 'product_view(uuid)',
    'product_views(jsonb)', 'dead_letters(integer)']);
