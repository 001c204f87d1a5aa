-- The live function daily_report, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.daily_report(p_from date, p_to date, p_offset_seconds integer, p_not_revenue text[]) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  with placed as (
    select (o.created_at at time zone 'UTC' + make_interval(secs => p_offset_seconds))::date as day,
           o.status, o.origin, o.total_amount,
           not (o.status = any (p_not_revenue)) as revenue
    from public.orders o
    where o.created_at >= (p_from::timestamp - make_interval(secs => p_offset_seconds)) at time zone 'UTC'
      and o.created_at < ((p_to + 1)::timestamp - make_interval(secs => p_offset_seconds)) at time zone 'UTC'
  ), days as (
    select d::date as day from generate_series(p_from, p_to, interval '1 day') d
  )
  select coalesce(jsonb_agg(jsonb_build_object(
    'day', d.day,
    'orders', (select count(*) from placed p where p.day = d.day),
    'revenue', (select least(coalesce(sum(p.total_amount) filter (where p.revenue), 0), 922337203685477.5807)::text
                from placed p where p.day = d.day),
    'revenue_orders', (select count(*) filter (where p.revenue and p.total_amount is not null) from placed p where p.day = d.day),
    'by_status', coalesce((select jsonb_object_agg(x.status, x.n)
                           from (select p.status, count(*) as n from placed p where p.day = d.day group by p.status) x), '{}'::jsonb),
    'by_source', coalesce((select jsonb_object_agg(x.origin, jsonb_build_object('orders', x.n, 'revenue', least(x.revenue, 922337203685477.5807)::text))
                           from (select p.origin, count(*) as n,
                                        coalesce(sum(p.total_amount) filter (where p.revenue), 0) as revenue
                                 from placed p where p.day = d.day group by p.origin) x), '{}'::jsonb))
    order by d.day), '[]'::jsonb)
  from days d
$$;

REVOKE ALL ON FUNCTION public.daily_report(p_from date, p_to date, p_offset_seconds integer, p_not_revenue text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.daily_report(p_from date, p_to date, p_offset_seconds integer, p_not_revenue text[]) TO service_role;
