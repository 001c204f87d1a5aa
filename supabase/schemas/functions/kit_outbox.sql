-- The live function kit_outbox, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.kit_outbox() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select r.report || jsonb_build_object('reported_at', r.reported_at) from public.kit_outbox_reports r where r.id = 1
$$;

REVOKE ALL ON FUNCTION public.kit_outbox() FROM PUBLIC;
GRANT ALL ON FUNCTION public.kit_outbox() TO service_role;
