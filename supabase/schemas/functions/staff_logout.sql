-- The live function staff_logout, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.staff_logout(p_session_id text) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  update public.staff_sessions set ended_at = now() where id = p_session_id and ended_at is null
$$;

REVOKE ALL ON FUNCTION public.staff_logout(p_session_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.staff_logout(p_session_id text) TO service_role;
