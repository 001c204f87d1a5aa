-- The live function sync_status, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.sync_status() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_object_agg(f.flow, jsonb_build_object(
    'done', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status in ('done', 'skipped'))
            + case when f.flow = 'webhook_apply' then (select count(*) from public.webhook_events) else 0 end,
    'pending', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status in ('pending', 'running')),
    'retrying', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status = 'retrying'),
    'dead', (select count(*) from public.sync_jobs j where j.flow = f.flow and j.status = 'dead'),
    'last_success_at', greatest(
        (select max(j.done_at) from public.sync_jobs j where j.flow = f.flow and j.status = 'done'),
        case when f.flow = 'webhook_apply' then (select max(e.received_at) from public.webhook_events e) end),
    'last_error', (select jsonb_build_object('at', j.updated_at, 'error', j.last_error)
                   from public.sync_jobs j where j.flow = f.flow and j.last_error is not null
                   order by j.updated_at desc limit 1)))
  from public.sync_flows f
$$;

REVOKE ALL ON FUNCTION public.sync_status() FROM PUBLIC;
GRANT ALL ON FUNCTION public.sync_status() TO service_role;
