-- The live function reconciliation_view, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.reconciliation_view(p_id uuid DEFAULT NULL::uuid, p_details boolean DEFAULT true) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select case when p_details then to_jsonb(r) else to_jsonb(r) - 'differences' end
  from public.reconciliations r
  where p_id is null or r.id = p_id
  order by r.started_at desc
  limit 1
$$;

REVOKE ALL ON FUNCTION public.reconciliation_view(p_id uuid, p_details boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reconciliation_view(p_id uuid, p_details boolean) TO service_role;
