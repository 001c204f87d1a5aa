-- The live function due_sync_jobs, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.due_sync_jobs(p_limit integer DEFAULT 100, p_flows text[] DEFAULT NULL::text[]) RETURNS SETOF uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select j.id from public.sync_jobs j
  where (j.status in ('pending', 'retrying') or (j.status = 'running' and j.locked_until < now()))
    and j.next_attempt_at <= now()
    and (p_flows is null or j.flow = any (p_flows))
  order by j.next_attempt_at
  limit p_limit
$$;

REVOKE ALL ON FUNCTION public.due_sync_jobs(p_limit integer, p_flows text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.due_sync_jobs(p_limit integer, p_flows text[]) TO service_role;
