-- The live function product_view, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.product_view(p_product_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select public.product_view_of(p) from public.products p where p.id = p_product_id
$$;

REVOKE ALL ON FUNCTION public.product_view(p_product_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.product_view(p_product_id uuid) TO service_role;
