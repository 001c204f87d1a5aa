-- Issue 17: the shop's reference data comes from Bitrix (the kit's reference.snapshot): every
-- delivery slot with the times read from its name (by the Worker), cities, shops, statuses with
-- Bitrix's own names, pay systems and delivery services. Refreshed daily, on demand, and within
-- a minute when an order names a slot, city or shop the CRM does not know (at most every
-- 10 minutes while it stays unknown). Entries are added and renamed, never deleted: old orders
-- keep naming them.

create table public.bitrix_statuses (
  code text primary key check (length(code) between 1 and 2),
  name text not null
);
comment on table public.bitrix_statuses is 'Bitrix order statuses with their names in Bitrix (reference.snapshot)';

create table public.pay_systems (
  bitrix_pay_system_id bigint primary key,
  name text not null
);
comment on table public.pay_systems is 'Bitrix pay systems (reference.snapshot)';

create table public.delivery_services (
  bitrix_delivery_id bigint primary key,
  name text not null
);
comment on table public.delivery_services is 'Bitrix delivery services (reference.snapshot)';

create table public.reference_refreshes (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  trigger text not null check (trigger in ('daily', 'unknown_id', 'on_demand')),
  outcome jsonb,
  error text
);
comment on table public.reference_refreshes is 'Each refresh of the reference data: what it stored, or why it failed';
create index reference_refreshes_at_idx on public.reference_refreshes (at desc);

alter table public.bitrix_statuses enable row level security;
alter table public.pay_systems enable row level security;
alter table public.delivery_services enable row level security;
alter table public.reference_refreshes enable row level security;

-- Stores a snapshot the Worker read (domain::reference): each list upserted, what changed
-- counted; the refresh recorded. Answers {slots, cities, shops, statuses, pay_systems,
-- deliveries, changed, skipped}.
create or replace function public.apply_reference(p_reference jsonb, p_trigger text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_changed integer := 0;
  v_rows integer;
  v_outcome jsonb;
begin
  insert into public.delivery_time_slots as s (bitrix_slot_id, label, starts_at, ends_at)
  select (x ->> 'id')::bigint, x ->> 'name', (x ->> 'starts_at')::time, (x ->> 'ends_at')::time
  from jsonb_array_elements(p_reference -> 'slots') x
  on conflict (bitrix_slot_id) do update set label = excluded.label, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at
  where (s.label, s.starts_at, s.ends_at) is distinct from (excluded.label, excluded.starts_at, excluded.ends_at);
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.cities as c (bitrix_city_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'cities') x
  on conflict (bitrix_city_id) do update set name = excluded.name where c.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.shops as s (bitrix_shop_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'shops') x
  on conflict (bitrix_shop_id) do update set name = excluded.name where s.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.bitrix_statuses as b (code, name)
  select x ->> 'code', x ->> 'name' from jsonb_array_elements(p_reference -> 'statuses') x
  on conflict (code) do update set name = excluded.name where b.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.pay_systems as p (bitrix_pay_system_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'pay_systems') x
  on conflict (bitrix_pay_system_id) do update set name = excluded.name where p.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.delivery_services as d (bitrix_delivery_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'deliveries') x
  on conflict (bitrix_delivery_id) do update set name = excluded.name where d.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  v_outcome := jsonb_build_object(
    'slots', jsonb_array_length(p_reference -> 'slots'), 'cities', jsonb_array_length(p_reference -> 'cities'),
    'shops', jsonb_array_length(p_reference -> 'shops'), 'statuses', jsonb_array_length(p_reference -> 'statuses'),
    'pay_systems', jsonb_array_length(p_reference -> 'pay_systems'),
    'deliveries', jsonb_array_length(p_reference -> 'deliveries'),
    'changed', v_changed, 'skipped', coalesce(p_reference -> 'skipped', '[]'::jsonb));
  insert into public.reference_refreshes (trigger, outcome) values (p_trigger, v_outcome);
  return v_outcome;
end
$$;

-- A refresh that could not be made (Bitrix down, a snapshot against the contract): recorded,
-- so that the next try waits its turn.
create or replace function public.record_reference_failure(p_trigger text, p_error text)
returns void
language sql
set search_path = ''
as $$
  insert into public.reference_refreshes (trigger, error) values (p_trigger, left(p_error, 1000))
$$;

-- Why a refresh is due now, if it is: 'daily' when the last one is older than p_daily_seconds
-- (or there was none), 'unknown_id' when an order names a slot, city or shop the CRM does not
-- know and the last try is older than p_unknown_seconds; null otherwise.
create or replace function public.reference_refresh_due(p_daily_seconds integer, p_unknown_seconds integer)
returns text
language sql
stable
set search_path = ''
as $$
  with last as (
    select max(r.at) as tried, max(r.at) filter (where r.error is null) as done from public.reference_refreshes r
  )
  select case
    when last.done is null and last.tried is null then 'daily'
    when coalesce(last.done, '-infinity') < now() - make_interval(secs => p_daily_seconds)
         and last.tried < now() - make_interval(secs => p_unknown_seconds) then 'daily'
    when last.tried < now() - make_interval(secs => p_unknown_seconds) and exists (
      select 1 from public.orders o
      where (o.delivery_time_id is not null
             and not exists (select 1 from public.delivery_time_slots s where s.bitrix_slot_id = o.delivery_time_id))
         or (o.bitrix_city_id is not null
             and not exists (select 1 from public.cities c where c.bitrix_city_id = o.bitrix_city_id))
         or (o.bitrix_shop_id is not null
             and not exists (select 1 from public.shops s where s.bitrix_shop_id = o.bitrix_shop_id)))
      then 'unknown_id'
  end
  from last
$$;

select public.grant_to_service_role_only(array['apply_reference(jsonb,text)', 'record_reference_failure(text,text)',
  'reference_refresh_due(integer,integer)']);
