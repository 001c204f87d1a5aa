-- The live function finish_sync_job, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.finish_sync_job(p_job_id uuid, p_status text, p_error text, p_retry_in_seconds integer, p_result jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_job public.sync_jobs%rowtype;
begin
  update public.sync_jobs j set
    status = case when p_status = 'held' then 'retrying' else p_status end,
    attempts = case when p_status = 'held' then greatest(j.attempts - 1, 0) else j.attempts end,
    last_error = coalesce(p_error, j.last_error),
    result = coalesce(p_result, j.result),
    next_attempt_at = case when p_status in ('retrying', 'held') then now() + make_interval(secs => coalesce(p_retry_in_seconds, 0))
                           else j.next_attempt_at end,
    locked_until = null,
    updated_at = now(),
    done_at = case when p_status in ('done', 'skipped') then now() else j.done_at end
  -- A finished job stays finished (a late dead-letter report must not undo a success).
  where j.id = p_job_id and j.status not in ('done', 'skipped')
  returning * into v_job;

  if v_job.flow = 'reverse_sync' and p_status = 'done' and p_result ? 'bitrix_order_id' then
    update public.orders o set bitrix_order_id = (p_result ->> 'bitrix_order_id')::bigint, updated_at = now()
    where o.id = (v_job.payload ->> 'order_id')::uuid and o.bitrix_order_id is null;
  end if;
end
$$;

REVOKE ALL ON FUNCTION public.finish_sync_job(p_job_id uuid, p_status text, p_error text, p_retry_in_seconds integer, p_result jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.finish_sync_job(p_job_id uuid, p_status text, p_error text, p_retry_in_seconds integer, p_result jsonb) TO service_role;
