-- The live function record_reference_failure, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.record_reference_failure(p_trigger text, p_error text) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.reference_refreshes (trigger, error) values (p_trigger, left(p_error, 1000))
$$;

REVOKE ALL ON FUNCTION public.record_reference_failure(p_trigger text, p_error text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.record_reference_failure(p_trigger text, p_error text) TO service_role;
