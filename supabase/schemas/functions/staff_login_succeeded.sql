-- The live function staff_login_succeeded, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.staff_login_succeeded(p_attempt bigint, p_network text, p_staff_id uuid, p_session_id text, p_lifetime_seconds integer) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  delete from public.staff_login_failures f
  where f.id = p_attempt
     or (f.network = p_network and f.login = (select s.login from public.staff s where s.id = p_staff_id));
  insert into public.staff_sessions (id, staff_id, expires_at, network)
  values (p_session_id, p_staff_id, now() + make_interval(secs => p_lifetime_seconds), p_network);
$$;

REVOKE ALL ON FUNCTION public.staff_login_succeeded(p_attempt bigint, p_network text, p_staff_id uuid, p_session_id text, p_lifetime_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.staff_login_succeeded(p_attempt bigint, p_network text, p_staff_id uuid, p_session_id text, p_lifetime_seconds integer) TO service_role;
