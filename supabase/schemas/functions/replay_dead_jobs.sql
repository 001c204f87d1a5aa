-- The live function replay_dead_jobs, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.replay_dead_jobs(p_job_id uuid, p_actor jsonb) RETURNS SETOF uuid
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  with replayed as (
    update public.sync_jobs j set status = 'pending', attempts = 0, next_attempt_at = now(),
                                  locked_until = null, updated_at = now()
    where j.status = 'dead' and (p_job_id is null or j.id = p_job_id)
    returning j.id, j.flow, j.payload
  ), recorded as (
    insert into public.crm_changes (staff_id, actor, order_id, product_id, job_id, kind, detail)
    select (p_actor ->> 'staff_id')::uuid, coalesce(nullif(p_actor ->> 'name', ''), 'API'),
           (select o.id from public.orders o where o.id::text = r.payload ->> 'order_id'),
           (select p.id from public.products p where p.id::text = r.payload ->> 'product_id'),
           r.id, 'dead_letter_replayed', jsonb_build_object('flow', r.flow)
    from replayed r
  )
  select r.id from replayed r
$$;

REVOKE ALL ON FUNCTION public.replay_dead_jobs(p_job_id uuid, p_actor jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.replay_dead_jobs(p_job_id uuid, p_actor jsonb) TO service_role;
