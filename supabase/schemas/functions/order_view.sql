-- The live function order_view, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_view(p_order_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select public.order_view_of(o) from public.orders o where o.id = p_order_id
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

REVOKE ALL ON FUNCTION public.order_view(p_order_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_view(p_order_id uuid) TO service_role;
