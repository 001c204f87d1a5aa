-- The live function staff_changes, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.staff_changes(p_limit integer) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object('at', c.at, 'kind', c.kind, 'actor', c.actor, 'detail', c.detail)
                            order by c.at desc, c.id desc), '[]'::jsonb)
  from (select * from public.crm_changes c where c.subject_staff_id is not null order by c.at desc, c.id desc
        limit p_limit) c
$$;

REVOKE ALL ON FUNCTION public.staff_changes(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.staff_changes(p_limit integer) TO service_role;
