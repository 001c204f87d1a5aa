-- The live function orders_page, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.orders_page(p_filter jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('orders', public.order_views(p_filter), 'reference', public.crm_reference())
$$;

REVOKE ALL ON FUNCTION public.orders_page(p_filter jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.orders_page(p_filter jsonb) TO service_role;
