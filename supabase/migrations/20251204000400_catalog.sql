-- Issue 17: the catalogue comes from Bitrix (the kit's catalog.snapshot, page by page). A load
-- (first run, nightly, on demand) upserts each page by the product's Bitrix id: name, storefront
-- slug, section, base price (KZT), IN_STOCK, picture, Bitrix's last change. A product older than
-- the CRM's copy is kept as it is; the stock of a product whose CRM toggle is still on its way to
-- Bitrix is left alone (the flow of those jobs is the Worker's, passed). A complete load hides
-- (never deletes) the products an earlier load had and this one does not: old orders keep them.

alter table public.products
  add column active boolean not null default true,
  add column section_id bigint,
  add column section_name text,
  add column picture_url text check (picture_url is null or (picture_url like 'https://%' and length(picture_url) <= 1000)),
  add column bitrix_changed_at timestamptz,
  add column catalog_run uuid;
comment on column public.products.active is 'False: gone from the catalogue or deactivated in Bitrix (hidden, kept for old orders)';
comment on column public.products.catalog_run is 'The newest catalogue load that named the product';
create index products_section_idx on public.products (section_id) where section_id is not null;

create table public.catalog_runs (
  id uuid primary key default gen_random_uuid(),
  trigger text not null check (trigger in ('first', 'nightly', 'on_demand')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  complete boolean not null default false,
  outcome jsonb
);
comment on table public.catalog_runs is 'Each load of the catalogue from Bitrix: what it found and changed';
create index catalog_runs_started_idx on public.catalog_runs (started_at desc);
alter table public.catalog_runs enable row level security;

create or replace function public.product_view_of(p public.products) returns jsonb
language sql stable
set search_path = ''
as $_$
  select jsonb_build_object(
    'id', p.id, 'name', p.name, 'price', p.price::text,
    'bitrix_product_id', case when p.metadata -> 'properties' ->> 'bitrix_id' ~ '^[0-9]{1,18}$'
                              then (p.metadata -> 'properties' ->> 'bitrix_id')::bigint end,
    'stock', p.metadata -> 'properties' ->> 'IN_STOCK',
    'ru_url', p.metadata -> 'properties' ->> 'ru_url',
    'active', p.active, 'section_id', p.section_id, 'section_name', p.section_name, 'picture_url', p.picture_url,
    'updated_at', p.updated_at)
$_$;;

create or replace function public.product_views(p_filter jsonb) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.product_view_of(p) order by p.name, p.id), '[]'::jsonb)
  from (
    select * from public.products p
    where (p_filter ->> 'q' is null or p.name ilike p_filter ->> 'q_like')
      and (p_filter ->> 'stock' is null or p.metadata -> 'properties' ->> 'IN_STOCK' = p_filter ->> 'stock')
      and (p_filter ->> 'active' is null or p.active = (p_filter ->> 'active')::boolean)
      and (p_filter ->> 'section' is null or p.section_id = (p_filter ->> 'section')::bigint)
    order by p.name, p.id
    limit (p_filter ->> 'limit')::integer offset (p_filter ->> 'offset')::integer
  ) p
$$;;

create or replace function public.order_form() returns jsonb
language sql stable
set search_path = ''
as $$
  select public.crm_reference()
         || jsonb_build_object('products', public.product_views('{"limit": 1000, "offset": 0, "active": true}'::jsonb))
$$;;

-- A new load, or null while another started within 10 minutes is still running.
create or replace function public.start_catalog_run(p_trigger text)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid;
begin
  perform pg_advisory_xact_lock(hashtext('catalog_runs'));
  if exists (select 1 from public.catalog_runs r
             where r.finished_at is null and r.started_at > now() - interval '10 minutes') then
    return null;
  end if;
  insert into public.catalog_runs (trigger) values (p_trigger) returning id into v_id;
  return v_id;
end
$$;

-- One page of a load. Answers {created, updated, unchanged, kept}.
create or replace function public.apply_catalog_page(p_run uuid, p_products jsonb, p_availability_flow text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_item jsonb;
  v_row public.products%rowtype;
  v_before jsonb;
  v_after jsonb;
  v_stock text;
  v_created integer := 0;
  v_updated integer := 0;
  v_unchanged integer := 0;
  v_kept integer := 0;
begin
  for v_item in select x from jsonb_array_elements(p_products) x loop
    select * into v_row from public.products p
    where p.metadata -> 'properties' ->> 'bitrix_id' = v_item ->> 'bitrix_id'
    for update;
    if not found then
      insert into public.products (name, price, metadata, active, section_id, section_name, picture_url,
                                   bitrix_changed_at, catalog_run)
      values (v_item ->> 'name', (v_item ->> 'price')::numeric,
              jsonb_build_object('properties', jsonb_strip_nulls(jsonb_build_object(
                'bitrix_id', v_item ->> 'bitrix_id', 'IN_STOCK', v_item ->> 'stock', 'ru_url', v_item ->> 'code'))),
              (v_item ->> 'active')::boolean, (v_item ->> 'section_id')::bigint, v_item ->> 'section_name',
              v_item ->> 'picture', (v_item ->> 'changed_at')::timestamptz, p_run);
      v_created := v_created + 1;
      continue;
    end if;
    if v_row.bitrix_changed_at is not null and (v_item ->> 'changed_at')::timestamptz < v_row.bitrix_changed_at then
      update public.products p set catalog_run = p_run where p.id = v_row.id;
      v_kept := v_kept + 1;
      continue;
    end if;
    -- The CRM's own toggle on its way to Bitrix wins over what Bitrix still says.
    v_stock := case
      when exists (select 1 from public.sync_jobs j
                   where j.flow = p_availability_flow and j.status in ('pending', 'retrying', 'running')
                     and j.payload ->> 'product_id' = v_row.id::text)
        then v_row.metadata -> 'properties' ->> 'IN_STOCK'
      else coalesce(v_item ->> 'stock', v_row.metadata -> 'properties' ->> 'IN_STOCK')
    end;
    v_before := to_jsonb(v_row) - array['catalog_run', 'updated_at', 'bitrix_changed_at'];
    update public.products p set
      name = v_item ->> 'name',
      price = (v_item ->> 'price')::numeric,
      metadata = jsonb_set(case when jsonb_typeof(p.metadata -> 'properties') = 'object' then p.metadata
                                else jsonb_set(p.metadata, '{properties}', '{}'::jsonb) end,
                           '{properties}',
                           (p.metadata -> 'properties') || jsonb_strip_nulls(jsonb_build_object(
                             'IN_STOCK', v_stock, 'ru_url', v_item ->> 'code'))),
      active = (v_item ->> 'active')::boolean,
      section_id = (v_item ->> 'section_id')::bigint,
      section_name = v_item ->> 'section_name',
      picture_url = v_item ->> 'picture',
      bitrix_changed_at = coalesce((v_item ->> 'changed_at')::timestamptz, p.bitrix_changed_at),
      catalog_run = p_run
    where p.id = v_row.id
    returning * into v_row;
    v_after := to_jsonb(v_row) - array['catalog_run', 'updated_at', 'bitrix_changed_at'];
    if v_after is distinct from v_before then
      update public.products p set updated_at = now() where p.id = v_row.id;
      v_updated := v_updated + 1;
    else
      v_unchanged := v_unchanged + 1;
    end if;
  end loop;
  return jsonb_build_object('created', v_created, 'updated', v_updated, 'unchanged', v_unchanged, 'kept', v_kept);
end
$$;

-- Ends a load. A complete one that found products hides those an earlier load named and this
-- one did not. Answers the outcome with 'hidden'.
create or replace function public.finish_catalog_run(p_run uuid, p_outcome jsonb, p_complete boolean)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_hidden integer := 0;
  v_outcome jsonb;
begin
  if p_complete and coalesce((p_outcome ->> 'products')::integer, 0) > 0 then
    update public.products p set active = false, updated_at = now()
    where p.catalog_run is not null and p.catalog_run <> p_run and p.active;
    get diagnostics v_hidden = row_count;
  end if;
  v_outcome := p_outcome || jsonb_build_object('hidden', v_hidden);
  update public.catalog_runs r set finished_at = now(), complete = p_complete, outcome = v_outcome where r.id = p_run;
  return v_outcome;
end
$$;

-- Why a load is due now: 'first' when none ever finished, 'nightly' when the last complete one is
-- older than p_daily_seconds; null while one runs or none is due. A failed load is tried again
-- after 10 minutes.
create or replace function public.catalog_run_due(p_daily_seconds integer)
returns text
language sql
stable
set search_path = ''
as $$
  select case
    when exists (select 1 from public.catalog_runs r where r.started_at > now() - interval '10 minutes') then null
    when not exists (select 1 from public.catalog_runs r where r.complete) then 'first'
    when (select max(r.finished_at) from public.catalog_runs r where r.complete)
         < now() - make_interval(secs => p_daily_seconds) then 'nightly'
  end
$$;

-- The newest load, for /crm/sync and /api/sync/status.
create or replace function public.catalog_status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'products', (select count(*) from public.products p where p.catalog_run is not null),
    'hidden', (select count(*) from public.products p where not p.active),
    'newest', (select jsonb_build_object('trigger', r.trigger, 'started_at', r.started_at,
                                         'finished_at', r.finished_at, 'complete', r.complete, 'outcome', r.outcome)
               from public.catalog_runs r order by r.started_at desc limit 1))
$$;

select public.grant_to_service_role_only(array['start_catalog_run(text)', 'apply_catalog_page(uuid,jsonb,text)',
  'finish_catalog_run(uuid,jsonb,boolean)', 'catalog_run_due(integer)', 'catalog_status()']);
