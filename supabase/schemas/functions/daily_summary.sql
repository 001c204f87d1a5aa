-- The live function daily_summary, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.daily_summary(p_date date, p_offset_seconds integer, p_not_revenue text[], p_waiting text[]) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'day', p_date,
    'report', public.daily_report(p_date, p_date, p_offset_seconds, p_not_revenue) -> 0,
    'tomorrow', coalesce((select jsonb_agg(jsonb_build_object('slot', case when x.slot is not null then
                                             jsonb_build_object('id', x.slot, 'name', x.label) end, 'orders', x.n)
                                           order by x.starts_at nulls last, x.slot nulls last)
                          from (select o.delivery_time_id as slot, s.label, s.starts_at, count(*) as n
                                from public.orders o
                                left join public.delivery_time_slots s on s.bitrix_slot_id = o.delivery_time_id
                                where o.delivery_date = p_date + 1 and not (o.status = any (p_not_revenue))
                                group by o.delivery_time_id, s.label, s.starts_at) x), '[]'::jsonb),
    'unknown_slot_times', coalesce((select jsonb_agg(jsonb_build_object('id', o.id,
                                       'number', coalesce(o.bitrix_order_id::text, o.order_number, left(o.id::text, 8)))
                                     order by o.created_at)
                                   from public.orders o
                                   left join public.delivery_time_slots s on s.bitrix_slot_id = o.delivery_time_id
                                   where o.delivery_date = p_date and o.status = any (p_waiting)
                                     and (o.delivery_time_id is null or s.starts_at is null)), '[]'::jsonb),
    'dead', (select count(*) from public.sync_jobs j where j.status = 'dead'),
    'retrying', (select count(*) from public.sync_jobs j where j.status = 'retrying'))
$$;

REVOKE ALL ON FUNCTION public.daily_summary(p_date date, p_offset_seconds integer, p_not_revenue text[], p_waiting text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.daily_summary(p_date date, p_offset_seconds integer, p_not_revenue text[], p_waiting text[]) TO service_role;
