-- The live function order_page, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_page(p_order_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('order', public.order_view_of(o), 'timeline', public.order_timeline(o.id),
    'buyer_phone', (select u.phone from public.users u where u.bitrix_user_id = o.bitrix_user_id))
  from public.orders o where o.id = p_order_id
$$;

REVOKE ALL ON FUNCTION public.order_page(p_order_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_page(p_order_id uuid) TO service_role;
