-- What hosted Supabase has before the first migration runs, for a plain PostgreSQL (the local
-- stacks): its API roles, and default privileges that give every new table, sequence and
-- function in `public` to anon and authenticated as well as service_role (as Supabase's own
-- initial schema does). Applied by scripts/stack.sh to a new database only, before
-- supabase/migrations, so that the migrations meet the rights they will meet in production.
-- Never applied in production (Supabase has all of this already).
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
