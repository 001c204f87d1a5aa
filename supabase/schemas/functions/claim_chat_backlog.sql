-- The live function claim_chat_backlog, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.claim_chat_backlog(p_job_id uuid, p_flow text, p_occasions text[], p_min integer, p_limit integer, p_lease_seconds integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_waiting integer;
  v_taken jsonb;
begin
  select count(*) into v_waiting
  from public.sync_jobs j
  where j.flow = p_flow and j.status in ('pending', 'retrying') and j.id <> p_job_id
    and j.payload ->> 'occasion' = any (p_occasions);
  if v_waiting + 1 < p_min then
    return '[]'::jsonb;
  end if;
  with taken as (
    select j.id
    from public.sync_jobs j
    where j.flow = p_flow and j.status in ('pending', 'retrying') and j.id <> p_job_id
      and j.payload ->> 'occasion' = any (p_occasions)
    order by j.created_at, j.id
    limit greatest(p_limit, 0)
    for update skip locked
  ), claimed as (
    update public.sync_jobs j set
      status = 'running',
      attempts = j.attempts + 1,
      locked_until = now() + make_interval(secs => p_lease_seconds),
      updated_at = now()
    from taken
    where j.id = taken.id
    returning j.id, j.payload, j.created_at
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', c.id, 'payload', c.payload, 'created_at', c.created_at,
           'order', (select public.order_view_of(o, false) from public.orders o
                     where o.id::text = c.payload ->> 'order_id'))
         order by c.created_at, c.id), '[]'::jsonb)
  into v_taken
  from claimed c;
  return v_taken;
end
$$;

REVOKE ALL ON FUNCTION public.claim_chat_backlog(p_job_id uuid, p_flow text, p_occasions text[], p_min integer, p_limit integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.claim_chat_backlog(p_job_id uuid, p_flow text, p_occasions text[], p_min integer, p_limit integer, p_lease_seconds integer) TO service_role;
