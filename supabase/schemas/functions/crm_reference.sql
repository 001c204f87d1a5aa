-- The live function crm_reference, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_reference() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'slots', public.slot_list(),
    'cities', coalesce((select jsonb_agg(jsonb_build_object('id', c.bitrix_city_id, 'name', c.name) order by c.name)
                        from public.cities c), '[]'::jsonb),
    'shops', coalesce((select jsonb_agg(jsonb_build_object('id', s.bitrix_shop_id, 'name', s.name) order by s.name)
                       from public.shops s), '[]'::jsonb))
$$;

REVOKE ALL ON FUNCTION public.crm_reference() FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_reference() TO service_role;
