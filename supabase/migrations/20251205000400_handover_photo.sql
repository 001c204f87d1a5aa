-- Issue 19: the courier's «Доставлено» may carry a photo of the handover (kept in R2 like the
-- bouquet's, never sent to the chat): the order keeps it as handover_photo {key, content_type,
-- size, at, by}, and the timeline says who attached it.

alter table public.orders add column handover_photo jsonb;
comment on column public.orders.handover_photo is 'The courier''s photo of the handover in R2: {key, content_type, size, at, by}';

alter table public.crm_changes drop constraint crm_changes_kind_check;
alter table public.crm_changes add constraint crm_changes_kind_check check (kind in (
  'order_created', 'status_set', 'availability_set', 'dead_letter_replayed', 'courier_set', 'photo_attached',
  'handover_photo', 'order_edited', 'staff_added', 'staff_disabled', 'staff_enabled', 'staff_password_reset',
  'staff_unlocked', 'staff_role_set'));

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
    'items', case when p_items then coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', i.id, 'bitrix_basket_id', i.bitrix_basket_id, 'bitrix_product_id', i.bitrix_product_id,
               'product_id', i.product_id, 'name', i.product_snapshot ->> 'name',
               'currency', i.product_snapshot ->> 'currency', 'price', i.price::text, 'quantity', i.quantity::text)
             order by i.created_at, i.bitrix_basket_id)
      from public.order_items i where i.order_id = o.id), '[]'::jsonb) else '[]'::jsonb end,
    'created_at', o.created_at, 'updated_at', o.updated_at)
$$;

-- Null for an unknown order; false when it already has this photo.
create or replace function public.crm_attach_handover_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb) returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_old jsonb;
begin
  select o.handover_photo into v_old from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  if v_old ->> 'key' = p_photo ->> 'key' then
    return false;
  end if;
  update public.orders o set
    handover_photo = p_photo || jsonb_build_object('at', now(), 'by', coalesce(nullif(p_actor ->> 'name', ''), 'API')),
    updated_at = now()
  where o.id = p_order_id;
  perform public.record_crm_change(p_actor, 'handover_photo', p_order_id, null, null,
                                   jsonb_build_object('size', p_photo -> 'size'));
  return true;
end
$$;

select public.grant_to_service_role_only(array['crm_attach_handover_photo(uuid,jsonb,jsonb)']);
