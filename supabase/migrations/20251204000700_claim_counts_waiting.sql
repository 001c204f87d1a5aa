-- Issue 17: a claimed job says how many other jobs of its flow wait (pending or retrying), so
-- that a Telegram message asks for the chat's backlog (claim_chat_backlog, one more round trip)
-- only when enough wait to make a digest.

create or replace function public.claim_sync_job(p_job_id uuid, p_lease_seconds integer default 60) returns jsonb
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
    'order', (select public.order_view_of(o) from public.orders o where o.id::text = v_job.payload ->> 'order_id'),
    'waiting', (select count(*) from public.sync_jobs j
                where j.flow = v_job.flow and j.status in ('pending', 'retrying') and j.id <> v_job.id));
end
$$;;
