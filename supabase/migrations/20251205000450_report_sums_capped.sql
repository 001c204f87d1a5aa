-- A day's revenue is capped at the largest sum the Worker's money type holds
-- (922 337 203 685 477.5807 ₸, src/domain/decimal.rs). No shop reaches it, but orders at the
-- largest total a webhook may carry did: their day's sum overflowed, and the report, its CSV and
-- the daily summary answered 500 (found by issue 19's export test running after the hostile
-- tests). At the cap a day shows the cap, never an error.
create or replace function public.daily_report(p_from date, p_to date, p_offset_seconds integer, p_not_revenue text[]) RETURNS jsonb
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
$$;;
