-- The live function finish_catalog_run, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.finish_catalog_run(p_run uuid, p_outcome jsonb, p_complete boolean) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_hidden integer := 0;
  v_outcome jsonb;
begin
  if p_complete and coalesce((p_outcome ->> 'products')::integer, 0) > 0 then
    update public.products p set active = false, updated_at = now()
    where p.catalog_run is not null and p.catalog_run <> p_run and p.active;
    get diagnostics v_hidden = row_count;
  end if;
  v_outcome := p_outcome || jsonb_build_object('hidden', v_hidden);
  update public.catalog_runs r set finished_at = now(), complete = p_complete, outcome = v_outcome where r.id = p_run;
  return v_outcome;
end
$$;

REVOKE ALL ON FUNCTION public.finish_catalog_run(p_run uuid, p_outcome jsonb, p_complete boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.finish_catalog_run(p_run uuid, p_outcome jsonb, p_complete boolean) TO service_role;
