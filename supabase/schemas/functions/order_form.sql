-- The live function order_form, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_form() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select public.crm_reference()
         || jsonb_build_object('products', public.product_views('{"limit": 1000, "offset": 0, "active": true}'::jsonb))
$$;

REVOKE ALL ON FUNCTION public.order_form() FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_form() TO service_role;
