-- The live function dead_letters, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.dead_letters(p_limit integer DEFAULT 200) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', j.id, 'flow', j.flow, 'idempotency_key', j.idempotency_key, 'payload', j.payload,
           'attempts', j.attempts, 'last_error', j.last_error, 'created_at', j.created_at, 'updated_at', j.updated_at)
         order by j.updated_at desc, j.id), '[]'::jsonb)
  from (select * from public.sync_jobs j where j.status = 'dead' order by j.updated_at desc, j.id limit p_limit) j
$$;

REVOKE ALL ON FUNCTION public.dead_letters(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.dead_letters(p_limit integer) TO service_role;
