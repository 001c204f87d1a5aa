-- The live function finish_chat_backlog, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.finish_chat_backlog(p_ids uuid[], p_digest uuid, p_sent boolean) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  update public.sync_jobs j set
    status = case when p_sent then 'done' else 'pending' end,
    attempts = case when p_sent then j.attempts else greatest(j.attempts - 1, 0) end,
    result = case when p_sent then jsonb_build_object('in_digest', p_digest) else j.result end,
    last_error = case when p_sent then null else j.last_error end,
    done_at = case when p_sent then now() else j.done_at end,
    locked_until = null,
    updated_at = now()
  where j.id = any (p_ids) and j.status = 'running'
$$;

REVOKE ALL ON FUNCTION public.finish_chat_backlog(p_ids uuid[], p_digest uuid, p_sent boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.finish_chat_backlog(p_ids uuid[], p_digest uuid, p_sent boolean) TO service_role;
