-- The live function record_dead_webhook, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.record_dead_webhook(p_event_key text, p_body jsonb, p_error text, p_attempts integer) RETURNS uuid
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.sync_jobs (flow, idempotency_key, payload, status, attempts, last_error)
  values ('webhook_apply', 'webhook:' || p_event_key, p_body, 'dead', p_attempts, p_error)
  on conflict (idempotency_key) do update set
    status = case when public.sync_jobs.status in ('done', 'skipped') then public.sync_jobs.status else 'dead' end,
    last_error = excluded.last_error, attempts = excluded.attempts, updated_at = now()
  returning id
$$;

REVOKE ALL ON FUNCTION public.record_dead_webhook(p_event_key text, p_body jsonb, p_error text, p_attempts integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.record_dead_webhook(p_event_key text, p_body jsonb, p_error text, p_attempts integer) TO service_role;
