-- The live function order_fingerprint, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_fingerprint(p_order_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'order', to_jsonb(o) - array['updated_at', 'created_at', 'bitrix_updated_at', 'status_echoes', 'status_echoes_until'],
    'items', coalesce((
      select jsonb_agg(jsonb_build_array(i.bitrix_basket_id, i.bitrix_product_id, i.product_id,
                                         i.product_snapshot, i.price, i.quantity)
                       order by i.bitrix_basket_id)
      from public.order_items i where i.order_id = o.id), '[]'::jsonb),
    'user', (select to_jsonb(u) - array['updated_at', 'created_at', 'id']
             from public.users u where u.bitrix_user_id = o.bitrix_user_id))
  from public.orders o
  where o.id = p_order_id
$$;

REVOKE ALL ON FUNCTION public.order_fingerprint(p_order_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_fingerprint(p_order_id uuid) TO service_role;
