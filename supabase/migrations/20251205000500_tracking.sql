-- Issue 20: the buyer's tracking page (/t/{token}). A link per order at a time: 32 random bytes
-- (43 URL-safe characters) made by the Worker; revoked links stay for the record. The order
-- keeps when it left with the courier and when it was delivered (set by a trigger on its status,
-- whoever set it), for the page's steps. Making or revoking a link is recorded with who did it
-- and sends the link to the Bitrix order's property crmTrackUrl (a bitrix_track_url job, in the
-- reverse_sync flow: its webhook echo is known by the job's key).

alter table public.orders add column delivering_at timestamptz;
alter table public.orders add column delivered_at timestamptz;
comment on column public.orders.delivering_at is 'When the order first became «Доставляется» (the buyer''s «В пути»)';
comment on column public.orders.delivered_at is 'When the order first became «Доставлен» or «Завершён»';

create or replace function public.note_delivery_steps() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'delivering' and new.delivering_at is null then
    new.delivering_at := now();
  end if;
  if new.status in ('completed', 'finished') and new.delivered_at is null then
    new.delivered_at := now();
  end if;
  return new;
end
$$;
create trigger orders_delivery_steps before insert or update of status on public.orders
  for each row execute function public.note_delivery_steps();

create table public.track_links (
  token text primary key check (length(token) = 43 and token ~ '^[A-Za-z0-9_-]+$'),
  order_id uuid not null references public.orders (id) on delete cascade,
  created_at timestamptz not null default now(),
  created_by text not null,
  revoked_at timestamptz
);
create unique index track_links_live_idx on public.track_links (order_id) where revoked_at is null;
alter table public.track_links enable row level security;
grant select, insert, update, delete on public.track_links to service_role;

alter table public.crm_changes drop constraint crm_changes_kind_check;
alter table public.crm_changes add constraint crm_changes_kind_check check (kind in (
  'order_created', 'status_set', 'availability_set', 'dead_letter_replayed', 'courier_set', 'photo_attached',
  'handover_photo', 'order_edited', 'track_link_made', 'track_link_revoked', 'staff_added', 'staff_disabled',
  'staff_enabled', 'staff_password_reset', 'staff_unlocked', 'staff_role_set'));

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
    'bouquet_photo', o.bouquet_photo, 'assembled_at', o.assembled_at, 'handover_photo', o.handover_photo,
    'track_token', (select t.token from public.track_links t where t.order_id = o.id and t.revoked_at is null),
    'items', case when p_items then coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', i.id, 'bitrix_basket_id', i.bitrix_basket_id, 'bitrix_product_id', i.bitrix_product_id,
               'product_id', i.product_id, 'name', i.product_snapshot ->> 'name',
               'currency', i.product_snapshot ->> 'currency', 'price', i.price::text, 'quantity', i.quantity::text)
             order by i.created_at, i.bitrix_basket_id)
      from public.order_items i where i.order_id = o.id), '[]'::jsonb) else '[]'::jsonb end,
    'created_at', o.created_at, 'updated_at', o.updated_at)
$$;;

-- The card also names the buyer's phone (for the WhatsApp link).
create or replace function public.order_page(p_order_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('order', public.order_view_of(o), 'timeline', public.order_timeline(o.id),
    'buyer_phone', (select u.phone from public.users u where u.bitrix_user_id = o.bitrix_user_id))
  from public.orders o where o.id = p_order_id
$$;;

-- Makes the order's link with the Worker's token, or answers the live one (a second press makes
-- nothing more). Null for an unknown order.
create or replace function public.crm_make_track_link(p_order_id uuid, p_token text, p_actor jsonb, p_jobs jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_live text;
  v_job uuid;
begin
  perform 1 from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  select t.token into v_live from public.track_links t where t.order_id = p_order_id and t.revoked_at is null;
  if found then
    return jsonb_build_object('token', v_live, 'made', false, 'jobs', '[]'::jsonb);
  end if;
  insert into public.track_links (token, order_id, created_by)
  values (p_token, p_order_id, coalesce(nullif(p_actor ->> 'name', ''), 'API'));
  perform public.record_crm_change(p_actor, 'track_link_made', p_order_id, null, null, '{}'::jsonb);
  v_job := public.add_job(p_jobs -> 'bitrix_track_url',
                          jsonb_build_object('order_id', p_order_id, 'change', gen_random_uuid(), 'token', p_token));
  return jsonb_build_object('token', p_token, 'made', true, 'jobs', to_jsonb(array_remove(array[v_job], null)));
end
$$;

-- Revokes the order's live link (its page answers 404 from now on) and clears the Bitrix
-- property. Null for an unknown order; {"revoked": false} when there is none.
create or replace function public.crm_revoke_track_link(p_order_id uuid, p_actor jsonb, p_jobs jsonb) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job uuid;
begin
  perform 1 from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  update public.track_links t set revoked_at = now() where t.order_id = p_order_id and t.revoked_at is null;
  if not found then
    return jsonb_build_object('revoked', false, 'jobs', '[]'::jsonb);
  end if;
  perform public.record_crm_change(p_actor, 'track_link_revoked', p_order_id, null, null, '{}'::jsonb);
  v_job := public.add_job(p_jobs -> 'bitrix_track_url',
                          -- No token: the job's token is null (a null value would empty its key).
                          jsonb_build_object('order_id', p_order_id, 'change', gen_random_uuid()));
  return jsonb_build_object('revoked', true, 'jobs', to_jsonb(array_remove(array[v_job], null)));
end
$$;

-- What the buyer's page shows for a live link, or null (unknown or revoked: the same 404).
-- Nothing of the recipient, the buyer or the money.
create or replace function public.track_page(p_token text) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'number', coalesce(o.bitrix_order_id::text, o.order_number, left(o.id::text, 8)),
    'status', o.status,
    'accepted_at', coalesce(o.bitrix_created_at, o.created_at),
    'assembled_at', o.assembled_at, 'delivering_at', o.delivering_at, 'delivered_at', o.delivered_at,
    'delivery_date', o.delivery_date,
    'slot', (select s.label from public.delivery_time_slots s where s.bitrix_slot_id = o.delivery_time_id),
    'photo_key', o.bouquet_photo ->> 'key', 'photo_type', o.bouquet_photo ->> 'content_type')
  from public.track_links t join public.orders o on o.id = t.order_id
  where t.token = p_token and t.revoked_at is null
$$;

select public.grant_to_service_role_only(array['note_delivery_steps()', 'crm_make_track_link(uuid,text,jsonb,jsonb)',
  'crm_revoke_track_link(uuid,jsonb,jsonb)', 'track_page(text)']);
