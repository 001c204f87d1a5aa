-- The live function finish_reconciliation, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.finish_reconciliation(p_id uuid, p_outcome jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_drift integer;
  v_job uuid;
begin
  update public.reconciliations r set
    finished_at = now(),
    bitrix_orders = (p_outcome ->> 'bitrix_orders')::integer,
    busy = (p_outcome ->> 'busy')::integer,
    missing = (p_outcome ->> 'missing')::integer,
    other_status = (p_outcome ->> 'other_status')::integer,
    other_total = (p_outcome ->> 'other_total')::integer,
    resent = (p_outcome ->> 'resent')::integer,
    truncated = coalesce((p_outcome ->> 'truncated')::boolean, false),
    error = p_outcome ->> 'error',
    differences = coalesce(p_outcome -> 'differences', '[]'::jsonb)
  where r.id = p_id and r.finished_at is null;
  if not found then
    return '[]'::jsonb;
  end if;
  v_drift := coalesce((p_outcome ->> 'missing')::integer, 0) + coalesce((p_outcome ->> 'other_status')::integer, 0)
             + coalesce((p_outcome ->> 'other_total')::integer, 0);
  if v_drift > 0 then
    v_job := public.add_job(p_jobs -> 'reconciliation_message', jsonb_build_object('run', p_id));
  end if;
  return to_jsonb(array_remove(array[v_job], null));
end
$$;

REVOKE ALL ON FUNCTION public.finish_reconciliation(p_id uuid, p_outcome jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.finish_reconciliation(p_id uuid, p_outcome jsonb, p_jobs jsonb) TO service_role;
