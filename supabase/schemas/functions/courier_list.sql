-- The live function courier_list, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.courier_list() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name) order by s.name, s.login), '[]'::jsonb)
  from public.staff s where s.role = 'courier' and s.disabled_at is null
$$;

REVOKE ALL ON FUNCTION public.courier_list() FROM PUBLIC;
GRANT ALL ON FUNCTION public.courier_list() TO service_role;
