-- The live function backfill_to_announce, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.backfill_to_announce(p_quiet_seconds integer, p_template jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  with last as (
    select coalesce(max((j.payload ->> 'until')::timestamptz), '-infinity'::timestamptz) as until
    from public.sync_jobs j
    where j.flow = p_template ->> 'flow'
      and j.payload ->> 'occasion' = p_template -> 'payload' ->> 'occasion'
  ), loads as (
    select o.loaded_from_bitrix_at as at, o.bitrix_created_at as created
    from public.orders o, last
    where o.loaded_from_bitrix_at > last.until
  )
  select case when count(*) > 0 and max(at) <= now() - make_interval(secs => p_quiet_seconds) then
    jsonb_build_object('count', count(*), 'from', min(created), 'to', max(created), 'until', max(at))
  end
  from loads
$$;

REVOKE ALL ON FUNCTION public.backfill_to_announce(p_quiet_seconds integer, p_template jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.backfill_to_announce(p_quiet_seconds integer, p_template jsonb) TO service_role;
