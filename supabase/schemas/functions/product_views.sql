-- The live function product_views, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.product_views(p_filter jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(public.product_view_of(p) order by p.name, p.id), '[]'::jsonb)
  from (
    select * from public.products p
    where (p_filter ->> 'q' is null or p.name ilike p_filter ->> 'q_like')
      and (p_filter ->> 'stock' is null or p.metadata -> 'properties' ->> 'IN_STOCK' = p_filter ->> 'stock')
      and (p_filter ->> 'active' is null or p.active = (p_filter ->> 'active')::boolean)
      and (p_filter ->> 'section' is null or p.section_id = (p_filter ->> 'section')::bigint)
    order by p.name, p.id
    limit (p_filter ->> 'limit')::integer offset (p_filter ->> 'offset')::integer
  ) p
$$;

REVOKE ALL ON FUNCTION public.product_views(p_filter jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.product_views(p_filter jsonb) TO service_role;
