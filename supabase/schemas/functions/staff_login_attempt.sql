-- The live function staff_login_attempt, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.staff_login_attempt(p_login text, p_network text, p_limits jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_login text := lower(p_login);
  v_since timestamptz := now() - make_interval(secs => (p_limits ->> 'window_seconds')::integer);
  v_lock interval := make_interval(secs => (p_limits ->> 'lock_seconds')::integer);
  v_pair_max integer := (p_limits ->> 'per_login_and_network')::integer;
  v_network_max integer := (p_limits ->> 'per_network')::integer;
  v_login_max integer := (p_limits ->> 'per_login')::integer;
  v_pair integer;
  v_network integer;
  v_login_all integer;
  v_trusted boolean;
  v_scope text;
  v_until timestamptz;
  v_attempt bigint;
begin
  -- Attempts for one login, and from one network, take turns: counting and recording is one
  -- step. Every caller locks the login first, then the network, so none wait in a circle.
  perform pg_advisory_xact_lock(hashtextextended('staff_login:' || v_login, 0));
  perform pg_advisory_xact_lock(hashtextextended('staff_network:' || p_network, 0));
  delete from public.staff_login_failures f where f.at < now() - interval '1 day';

  select count(*) filter (where f.login = v_login and f.network = p_network),
         count(*) filter (where f.network = p_network),
         count(*) filter (where f.login = v_login)
    into v_pair, v_network, v_login_all
  from public.staff_login_failures f
  where (f.login = v_login or f.network = p_network) and f.at > v_since;
  v_trusted := exists (
    select 1 from public.staff_sessions x join public.staff s on s.id = x.staff_id
    where s.login = v_login and x.network = p_network
      and x.created_at > now() - make_interval(secs => (p_limits ->> 'trusted_seconds')::integer));

  if v_pair >= v_pair_max then
    v_scope := 'login_from_network';
    select max(f.at) + v_lock into v_until from public.staff_login_failures f
    where f.login = v_login and f.network = p_network and f.at > v_since;
  elsif v_network >= v_network_max then
    v_scope := 'network';
    select max(f.at) + v_lock into v_until from public.staff_login_failures f
    where f.network = p_network and f.at > v_since;
  elsif v_login_all >= v_login_max and not v_trusted then
    v_scope := 'login';
    select max(f.at) + v_lock into v_until from public.staff_login_failures f
    where f.login = v_login and f.at > v_since;
  end if;
  if v_scope is not null then
    return jsonb_build_object('locked_until', v_until, 'scope', v_scope);
  end if;

  insert into public.staff_login_failures (login, network) values (v_login, p_network) returning id into v_attempt;
  return jsonb_build_object(
    'attempt', v_attempt,
    'remaining', least(v_pair_max - v_pair, v_network_max - v_network,
                       case when v_trusted then null else v_login_max - v_login_all end) - 1,
    'staff', (select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name, 'role', s.role, 'password_hash', s.password_hash)
              from public.staff s where s.login = v_login and s.disabled_at is null));
end
$$;

REVOKE ALL ON FUNCTION public.staff_login_attempt(p_login text, p_network text, p_limits jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.staff_login_attempt(p_login text, p_network text, p_limits jsonb) TO service_role;
