-- The live function track_page, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.track_page(p_token text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
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

REVOKE ALL ON FUNCTION public.track_page(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.track_page(p_token text) TO service_role;
