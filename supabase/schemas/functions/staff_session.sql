-- The live function staff_session, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.staff_session(p_session_id text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name, 'role', s.role)
  from public.staff_sessions x join public.staff s on s.id = x.staff_id
  where x.id = p_session_id and x.ended_at is null and x.expires_at > now() and s.disabled_at is null
$$;

REVOKE ALL ON FUNCTION public.staff_session(p_session_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.staff_session(p_session_id text) TO service_role;
