-- The live function order_view_of, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_view_of(o public.orders, p_items boolean DEFAULT true) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
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
$$;

REVOKE ALL ON FUNCTION public.order_view_of(o public.orders, p_items boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_view_of(o public.orders, p_items boolean) TO service_role;
