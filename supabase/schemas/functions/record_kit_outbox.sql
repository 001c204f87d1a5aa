-- The live function record_kit_outbox, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.record_kit_outbox(p_report jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.kit_outbox_reports (id, reported_at, report) values (1, now(), p_report)
  on conflict (id) do update set reported_at = excluded.reported_at, report = excluded.report
$$;

REVOKE ALL ON FUNCTION public.record_kit_outbox(p_report jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.record_kit_outbox(p_report jsonb) TO service_role;
