-- The live function add_sync_job, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.add_sync_job(p_flow text, p_key text, p_payload jsonb) RETURNS uuid
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.sync_jobs (flow, idempotency_key, payload) values (p_flow, p_key, p_payload)
  on conflict (idempotency_key) do nothing
  returning id
$$;

REVOKE ALL ON FUNCTION public.add_sync_job(p_flow text, p_key text, p_payload jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.add_sync_job(p_flow text, p_key text, p_payload jsonb) TO service_role;
