-- Issue 19: roles (owner, manager, florist, courier; src/domain/roles.rs), staff accounts run
-- from the pages (/crm/staff, audited in crm_changes), and couriers: an order's courier, assigned
-- on the card or for a whole slot, and the courier's own deliveries (/crm/my).

-- The accounts made before roles ran everything: they stay owners.
alter table public.staff add column role text not null default 'owner'
  check (role in ('owner', 'manager', 'florist', 'courier'));
alter table public.staff alter column role drop default;
-- A password set by the owner on the page is temporary: shown once, to be changed by the person.
alter table public.staff add column password_set_at timestamptz not null default now();

alter table public.orders add column courier_id uuid references public.staff (id) on delete set null;
create index orders_courier_idx on public.orders (courier_id, delivery_date) where courier_id is not null;

-- Changes to staff accounts name the account they changed.
alter table public.crm_changes add column subject_staff_id uuid references public.staff (id) on delete set null;
alter table public.crm_changes drop constraint crm_changes_kind_check;
alter table public.crm_changes add constraint crm_changes_kind_check check (kind in (
  'order_created', 'status_set', 'availability_set', 'dead_letter_replayed', 'courier_set',
  'staff_added', 'staff_disabled', 'staff_enabled', 'staff_password_reset', 'staff_unlocked', 'staff_role_set'));
create index crm_changes_subject_idx on public.crm_changes (subject_staff_id, at) where subject_staff_id is not null;

create or replace function public.staff_session(p_session_id text) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name, 'role', s.role)
  from public.staff_sessions x join public.staff s on s.id = x.staff_id
  where x.id = p_session_id and x.ended_at is null and x.expires_at > now() and s.disabled_at is null
$$;

-- The login reads the role with the account (staff_login_attempt as before, with the role).
create or replace function public.staff_login_attempt(p_login text, p_network text, p_limits jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_login text := lower(p_login);
  v_since timestamptz := now() - make_interval(secs => (p_limits ->> 'window_seconds')::integer);
  v_lock interval := make_interval(secs => (p_limits ->> 'lock_seconds')::integer);
  v_pair_max integer := (p_limits ->> 'per_login_and_network')::integer;
  v_network_max integer := (p_limits ->> 'per_network')::integer;
  v_login_max integer := (p_limits ->> 'per_login')::integer;
  v_pair integer;
  v_network integer;
  v_login_all integer;
  v_trusted boolean;
  v_scope text;
  v_until timestamptz;
  v_attempt bigint;
begin
  -- Attempts for one login, and from one network, take turns: counting and recording is one
  -- step. Every caller locks the login first, then the network, so none wait in a circle.
  perform pg_advisory_xact_lock(hashtextextended('staff_login:' || v_login, 0));
  perform pg_advisory_xact_lock(hashtextextended('staff_network:' || p_network, 0));
  delete from public.staff_login_failures f where f.at < now() - interval '1 day';

  select count(*) filter (where f.login = v_login and f.network = p_network),
         count(*) filter (where f.network = p_network),
         count(*) filter (where f.login = v_login)
    into v_pair, v_network, v_login_all
  from public.staff_login_failures f
  where (f.login = v_login or f.network = p_network) and f.at > v_since;
  v_trusted := exists (
    select 1 from public.staff_sessions x join public.staff s on s.id = x.staff_id
    where s.login = v_login and x.network = p_network
      and x.created_at > now() - make_interval(secs => (p_limits ->> 'trusted_seconds')::integer));

  if v_pair >= v_pair_max then
    v_scope := 'login_from_network';
    select max(f.at) + v_lock into v_until from public.staff_login_failures f
    where f.login = v_login and f.network = p_network and f.at > v_since;
  elsif v_network >= v_network_max then
    v_scope := 'network';
    select max(f.at) + v_lock into v_until from public.staff_login_failures f
    where f.network = p_network and f.at > v_since;
  elsif v_login_all >= v_login_max and not v_trusted then
    v_scope := 'login';
    select max(f.at) + v_lock into v_until from public.staff_login_failures f
    where f.login = v_login and f.at > v_since;
  end if;
  if v_scope is not null then
    return jsonb_build_object('locked_until', v_until, 'scope', v_scope);
  end if;

  insert into public.staff_login_failures (login, network) values (v_login, p_network) returning id into v_attempt;
  return jsonb_build_object(
    'attempt', v_attempt,
    'remaining', least(v_pair_max - v_pair, v_network_max - v_network,
                       case when v_trusted then null else v_login_max - v_login_all end) - 1,
    'staff', (select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name, 'role', s.role, 'password_hash', s.password_hash)
              from public.staff s where s.login = v_login and s.disabled_at is null));
end
$$;;

-- The order's courier travels with the order's view (board, card, API).
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
    'courier', (select jsonb_build_object('id', s.id, 'name', s.name) from public.staff s where s.id = o.courier_id),
    'items', case when p_items then coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', i.id, 'bitrix_basket_id', i.bitrix_basket_id, 'bitrix_product_id', i.bitrix_product_id,
               'product_id', i.product_id, 'name', i.product_snapshot ->> 'name',
               'currency', i.product_snapshot ->> 'currency', 'price', i.price::text, 'quantity', i.quantity::text)
             order by i.created_at, i.bitrix_basket_id)
      from public.order_items i where i.order_id = o.id), '[]'::jsonb) else '[]'::jsonb end,
    'created_at', o.created_at, 'updated_at', o.updated_at)
$$;

-- The couriers one can assign: active accounts with the courier role.
create or replace function public.courier_list() returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name) order by s.name, s.login), '[]'::jsonb)
  from public.staff s where s.role = 'courier' and s.disabled_at is null
$$;

-- Sets the courier (null: none) of one order, or of every open order of a day's slot
-- (p_order_id null; a slot null is the orders without one). The courier must be an active
-- courier. Orders already delivered, finished or refused keep theirs. Answers
-- {"courier": "ok"|"not_a_courier", "orders": [ids changed]}.
create or replace function public.crm_set_courier(p_order_id uuid, p_date date, p_slot bigint, p_courier_id uuid,
                                                  p_actor jsonb) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_name text;
  v_changed uuid[] := '{}';
  o record;
begin
  if p_courier_id is not null then
    select s.name into v_name from public.staff s
    where s.id = p_courier_id and s.role = 'courier' and s.disabled_at is null;
    if not found then
      return jsonb_build_object('courier', 'not_a_courier', 'orders', '[]'::jsonb);
    end if;
  end if;
  for o in
    select x.id, x.courier_id, (select s.name from public.staff s where s.id = x.courier_id) as old_name
    from public.orders x
    where (p_order_id is not null and x.id = p_order_id)
       or (p_order_id is null and x.delivery_date = p_date and x.delivery_time_id is not distinct from p_slot
           and x.status not in ('completed', 'returned', 'declined', 'finished', 'refunded', 'cancelled'))
    order by x.created_at
    for update
  loop
    continue when o.courier_id is not distinct from p_courier_id;
    update public.orders set courier_id = p_courier_id, updated_at = now() where id = o.id;
    perform public.record_crm_change(p_actor, 'courier_set', o.id, null, null,
                                     jsonb_build_object('from', o.old_name, 'to', v_name));
    v_changed := v_changed || o.id;
  end loop;
  return jsonb_build_object('courier', 'ok', 'orders', to_jsonb(v_changed));
end
$$;

-- The staff accounts for the owner's page: role, state, failed logins in the lock window.
create or replace function public.staff_list(p_window_seconds integer) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', s.id, 'login', s.login, 'name', s.name, 'role', s.role, 'created_at', s.created_at,
    'disabled_at', s.disabled_at, 'password_set_at', s.password_set_at,
    'last_login_at', (select max(x.created_at) from public.staff_sessions x where x.staff_id = s.id),
    'recent_failures', (select count(*) from public.staff_login_failures f
                        where f.login = s.login and f.at > now() - make_interval(secs => p_window_seconds)))
    order by s.disabled_at nulls first, s.name, s.login), '[]'::jsonb)
  from public.staff s
$$;

-- One change to the staff accounts, made by the owner on /crm/staff, recorded with who made it.
-- p_change: {"action": "add", "login", "name", "role", "password_hash"} | {"action": "disable"}
-- | "enable" | {"action": "reset", "password_hash"} | "unlock" | {"action": "role", "role"}.
-- Disabling and a new password end the account's sessions. Answers {"outcome": "done" |
-- "login_taken" | "not_found" | "same", "id"}.
create or replace function public.crm_change_staff(p_staff_id uuid, p_change jsonb, p_actor jsonb) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_action constant text := p_change ->> 'action';
  v_staff public.staff%rowtype;
  v_kind text;
  v_detail jsonb := '{}'::jsonb;
begin
  if v_action = 'add' then
    insert into public.staff (login, name, role, password_hash)
    values (lower(p_change ->> 'login'), p_change ->> 'name', p_change ->> 'role', p_change ->> 'password_hash')
    on conflict (login) do nothing
    returning * into v_staff;
    if not found then
      return jsonb_build_object('outcome', 'login_taken');
    end if;
    delete from public.staff_login_failures f where f.login = v_staff.login;
    v_kind := 'staff_added';
    v_detail := jsonb_build_object('login', v_staff.login, 'role', v_staff.role);
  else
    select * into v_staff from public.staff s where s.id = p_staff_id for update;
    if not found then
      return jsonb_build_object('outcome', 'not_found');
    end if;
    v_detail := jsonb_build_object('login', v_staff.login);
    case v_action
      when 'disable' then
        if v_staff.disabled_at is not null then return jsonb_build_object('outcome', 'same', 'id', v_staff.id); end if;
        update public.staff set disabled_at = now() where id = v_staff.id;
        update public.staff_sessions set ended_at = now() where staff_id = v_staff.id and ended_at is null;
        -- A disabled courier's open deliveries go back to the board without a courier.
        update public.orders set courier_id = null, updated_at = now()
        where courier_id = v_staff.id and status not in ('completed', 'returned', 'declined', 'finished', 'refunded', 'cancelled');
        v_kind := 'staff_disabled';
      when 'enable' then
        if v_staff.disabled_at is null then return jsonb_build_object('outcome', 'same', 'id', v_staff.id); end if;
        update public.staff set disabled_at = null where id = v_staff.id;
        v_kind := 'staff_enabled';
      when 'reset' then
        update public.staff set password_hash = p_change ->> 'password_hash', password_set_at = now() where id = v_staff.id;
        update public.staff_sessions set ended_at = now() where staff_id = v_staff.id and ended_at is null;
        delete from public.staff_login_failures f where f.login = v_staff.login;
        v_kind := 'staff_password_reset';
      when 'unlock' then
        delete from public.staff_login_failures f where f.login = v_staff.login;
        v_kind := 'staff_unlocked';
      when 'role' then
        if v_staff.role = p_change ->> 'role' then return jsonb_build_object('outcome', 'same', 'id', v_staff.id); end if;
        update public.staff set role = p_change ->> 'role' where id = v_staff.id;
        v_detail := v_detail || jsonb_build_object('from', v_staff.role, 'to', p_change ->> 'role');
        v_kind := 'staff_role_set';
    end case;
  end if;
  insert into public.crm_changes (staff_id, actor, subject_staff_id, kind, detail)
  values ((p_actor ->> 'staff_id')::uuid, coalesce(nullif(p_actor ->> 'name', ''), 'API'), v_staff.id, v_kind, v_detail);
  return jsonb_build_object('outcome', 'done', 'id', v_staff.id);
end
$$;

-- The newest changes to staff accounts, for the owner's page.
create or replace function public.staff_changes(p_limit integer) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('at', c.at, 'kind', c.kind, 'actor', c.actor, 'detail', c.detail)
                            order by c.at desc, c.id desc), '[]'::jsonb)
  from (select * from public.crm_changes c where c.subject_staff_id is not null order by c.at desc, c.id desc
        limit p_limit) c
$$;

select public.grant_to_service_role_only(array['courier_list()',
  'crm_set_courier(uuid,date,bigint,uuid,jsonb)', 'staff_list(integer)', 'crm_change_staff(uuid,jsonb,jsonb)',
  'staff_changes(integer)']);
