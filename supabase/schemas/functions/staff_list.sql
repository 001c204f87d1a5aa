-- The live function staff_list, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.staff_list(p_window_seconds integer) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', s.id, 'login', s.login, 'name', s.name, 'role', s.role, 'created_at', s.created_at,
    'disabled_at', s.disabled_at, 'password_set_at', s.password_set_at,
    'last_login_at', (select max(x.created_at) from public.staff_sessions x where x.staff_id = s.id),
    'recent_failures', (select count(*) from public.staff_login_failures f
                        where f.login = s.login and f.at > now() - make_interval(secs => p_window_seconds)))
    order by s.disabled_at nulls first, s.name, s.login), '[]'::jsonb)
  from public.staff s
$$;

REVOKE ALL ON FUNCTION public.staff_list(p_window_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.staff_list(p_window_seconds integer) TO service_role;
