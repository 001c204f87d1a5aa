-- The live function reference_refresh_due, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.reference_refresh_due(p_daily_seconds integer, p_unknown_seconds integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  with last as (
    select max(r.at) as tried, max(r.at) filter (where r.error is null) as done from public.reference_refreshes r
  )
  select case
    when last.done is null and last.tried is null then 'daily'
    when coalesce(last.done, '-infinity') < now() - make_interval(secs => p_daily_seconds)
         and last.tried < now() - make_interval(secs => p_unknown_seconds) then 'daily'
    when last.tried < now() - make_interval(secs => p_unknown_seconds) and exists (
      select 1 from public.orders o
      where (o.delivery_time_id is not null
             and not exists (select 1 from public.delivery_time_slots s where s.bitrix_slot_id = o.delivery_time_id))
         or (o.bitrix_city_id is not null
             and not exists (select 1 from public.cities c where c.bitrix_city_id = o.bitrix_city_id))
         or (o.bitrix_shop_id is not null
             and not exists (select 1 from public.shops s where s.bitrix_shop_id = o.bitrix_shop_id)))
      then 'unknown_id'
  end
  from last
$$;

REVOKE ALL ON FUNCTION public.reference_refresh_due(p_daily_seconds integer, p_unknown_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reference_refresh_due(p_daily_seconds integer, p_unknown_seconds integer) TO service_role;
