-- Security: login limits that hold under parallel requests, per network as well as per login;
-- failed logins forgotten after a day for every login; the API roles anon and authenticated
-- stripped of every table, sequence and function right (a second barrier behind row-level
-- security: hosted Supabase grants them all by default).

-- ---------------------------------------------------------------------------------- logins
-- A failure row is written for every attempt before its password is checked (a right password
-- takes it back), by the same locked step that compares the counts with the limits.
delete from public.staff_login_failures where length(login) > 64;
alter table public.staff_login_failures
  add column network text not null default 'unknown' check (length(network) <= 64),
  add constraint staff_login_failures_login_length check (length(login) <= 64);
create index staff_login_failures_network_idx on public.staff_login_failures (network, at desc);
create index staff_login_failures_at_idx on public.staff_login_failures (at);
-- The network a session was opened from: a login opens from its own networks during an attack.
alter table public.staff_sessions add column network text check (length(network) <= 64);
create index staff_sessions_network_idx on public.staff_sessions (staff_id, network, created_at desc);

drop function public.staff_login_state(text, integer);
drop function public.staff_login_result(text, uuid, text, integer);

-- One login attempt, counted before its password is checked. p_limits (src/web/session.rs
-- LOGIN_LIMITS): window_seconds, per_login_and_network, per_network, per_login, lock_seconds,
-- trusted_seconds. Answers {locked_until, scope} (no password may be checked), or
-- {attempt, remaining, staff} with the attempt already recorded as a failure.
create function public.staff_login_attempt(p_login text, p_network text, p_limits jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
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
    'staff', (select jsonb_build_object('id', s.id, 'login', s.login, 'name', s.name, 'password_hash', s.password_hash)
              from public.staff s where s.login = v_login and s.disabled_at is null));
end
$$;

-- A right password: the attempt and the login's other failures from this network are taken
-- back, and the session starts (remembering its network).
create function public.staff_login_succeeded(p_attempt bigint, p_network text, p_staff_id uuid, p_session_id text,
                                             p_lifetime_seconds integer)
returns void
language sql
set search_path = ''
as $$
  delete from public.staff_login_failures f
  where f.id = p_attempt
     or (f.network = p_network and f.login = (select s.login from public.staff s where s.id = p_staff_id));
  insert into public.staff_sessions (id, staff_id, expires_at, network)
  values (p_session_id, p_staff_id, now() + make_interval(secs => p_lifetime_seconds), p_network);
$$;

select public.grant_to_service_role_only(array['staff_login_attempt(text,text,jsonb)',
    'staff_login_succeeded(bigint,text,uuid,text,integer)']);

-- ------------------------------------------------------------------- the API roles' rights
-- Only service_role (the Worker) reads or writes; anon and authenticated get nothing, now and
-- for whatever later migrations create. service_role keeps every function it could run.
do $$
declare f regprocedure;
begin
  for f in
    select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.proname <> 'grant_to_service_role_only'
      and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                  where a.grantee = 0 and a.privilege_type = 'EXECUTE')
  loop
    execute format('grant execute on function %s to service_role', f);
  end loop;
end
$$;
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;
revoke all on all functions in schema public from public, anon, authenticated;
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from public, anon, authenticated;
