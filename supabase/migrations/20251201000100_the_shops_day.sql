-- The shop's day: delivery-risk warnings and the daily summary (jobs with once-only keys), the
-- daily report, and a claim that brings the order's view along, so that a notification job
-- costs two round trips (claim, finish). The rules (who is warned, when the summary is due,
-- which statuses are revenue, the shop's UTC offset) are the Worker's: src/core/ops.rs.

-- Adds jobs, each once per key: p_jobs is [{ flow, key, payload }]. Returns the ids of the new
-- ones (a key seen before adds nothing).
create or replace function public.add_sync_jobs(p_jobs jsonb)
returns setof uuid
language sql
set search_path = ''
as $$
  insert into public.sync_jobs (flow, idempotency_key, payload)
  select j ->> 'flow', j ->> 'key', coalesce(j -> 'payload', '{}'::jsonb)
  from jsonb_array_elements(p_jobs) as j
  on conflict (idempotency_key) do nothing
  returning id
$$;

-- The orders a delivery-risk check looks at: that day's, in the given statuses (those that
-- wait for the courier), without their items, and the slots with their times.
create or replace function public.risk_candidates(p_date date, p_statuses text[])
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'slots', public.slot_list(),
    'orders', coalesce((select jsonb_agg(public.order_view_of(o, false))
                        from public.orders o where o.delivery_date = p_date and o.status = any (p_statuses)), '[]'::jsonb))
$$;

-- Per day from p_from to p_to (an order's day is when it was placed, on the shop's clock:
-- UTC + p_offset_seconds): orders, revenue (orders whose status is not in p_not_revenue), by
-- status and by source.
create or replace function public.daily_report(p_from date, p_to date, p_offset_seconds integer, p_not_revenue text[])
returns jsonb
language sql
stable
set search_path = ''
as $$
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
    'revenue', (select coalesce(sum(p.total_amount) filter (where p.revenue), 0)::text from placed p where p.day = d.day),
    'revenue_orders', (select count(*) filter (where p.revenue and p.total_amount is not null) from placed p where p.day = d.day),
    'by_status', coalesce((select jsonb_object_agg(x.status, x.n)
                           from (select p.status, count(*) as n from placed p where p.day = d.day group by p.status) x), '{}'::jsonb),
    'by_source', coalesce((select jsonb_object_agg(x.origin, jsonb_build_object('orders', x.n, 'revenue', x.revenue::text))
                           from (select p.origin, count(*) as n,
                                        coalesce(sum(p.total_amount) filter (where p.revenue), 0) as revenue
                                 from placed p where p.day = d.day group by p.origin) x), '{}'::jsonb))
    order by d.day), '[]'::jsonb)
  from days d
$$;

-- The daily summary: the day's report, tomorrow's deliveries by slot, today's deliveries whose
-- slot time is unknown (listed, not guessed), and the sync's health.
create or replace function public.daily_summary(p_date date, p_offset_seconds integer, p_not_revenue text[],
                                                p_waiting text[])
returns jsonb
language sql
stable
set search_path = ''
as $$
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

-- Takes a job for one attempt: a pending or retrying job that is due (a second, early message
-- for it finds nothing), or a running one whose lease has run out. The latter is handed back
-- with "orphaned": true and its attempts unchanged: its consumer died mid-attempt (a panic, the
-- CPU limit, a crash), and the Worker records that attempt as failed, so the retry schedule
-- decides what comes next: never a tight loop. Returns null when there is nothing to do.
-- A job that names an order comes with the order's view: the runner needs no second read before
-- it works (a notification: claim, send, finish).
create or replace function public.claim_sync_job(p_job_id uuid, p_lease_seconds integer default 60)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.sync_jobs%rowtype;
  v_orphaned boolean;
begin
  select * into v_job from public.sync_jobs j where j.id = p_job_id for update;
  if not found then
    return null;
  end if;
  if v_job.status in ('pending', 'retrying') and v_job.next_attempt_at <= now() + interval '1 second' then
    v_orphaned := false;
  elsif v_job.status = 'running' and v_job.locked_until < now() then
    v_orphaned := true;
  else
    return null;
  end if;
  update public.sync_jobs j set
    status = 'running',
    attempts = j.attempts + case when v_orphaned then 0 else 1 end,
    locked_until = now() + make_interval(secs => p_lease_seconds),
    updated_at = now()
  where j.id = p_job_id
  returning * into v_job;
  return to_jsonb(v_job) || jsonb_build_object(
    'orphaned', v_orphaned,
    'order', (select public.order_view_of(o) from public.orders o where o.id::text = v_job.payload ->> 'order_id'));
end
$$;

select public.grant_to_service_role_only(array['add_sync_jobs(jsonb)', 'risk_candidates(date,text[])',
    'daily_report(date,date,integer,text[])', 'daily_summary(date,integer,text[],text[])', 'claim_sync_job(uuid,integer)']);
