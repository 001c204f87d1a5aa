-- The live function product_view_of, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.product_view_of(p public.products) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $_$
  select jsonb_build_object(
    'id', p.id, 'name', p.name, 'price', p.price::text,
    'bitrix_product_id', case when p.metadata -> 'properties' ->> 'bitrix_id' ~ '^[0-9]{1,18}$'
                              then (p.metadata -> 'properties' ->> 'bitrix_id')::bigint end,
    'stock', p.metadata -> 'properties' ->> 'IN_STOCK',
    'ru_url', p.metadata -> 'properties' ->> 'ru_url',
    'active', p.active, 'section_id', p.section_id, 'section_name', p.section_name, 'picture_url', p.picture_url,
    'updated_at', p.updated_at)
$_$;

REVOKE ALL ON FUNCTION public.product_view_of(p public.products) FROM PUBLIC;
GRANT ALL ON FUNCTION public.product_view_of(p public.products) TO service_role;
