-- The live function reconcile_rows, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.reconcile_rows(p_ids bigint[]) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'bitrix_order_id', o.bitrix_order_id, 'status_raw', o.status_raw, 'total_amount', o.total_amount::text,
    'busy', exists (select 1 from public.sync_jobs j
                    where j.payload ->> 'order_id' = o.id::text and j.flow in ('reverse_sync', 'status_sync')
                      and j.status in ('pending', 'retrying', 'running')))), '[]'::jsonb)
  from public.orders o
  where o.bitrix_order_id = any (p_ids) and o.details_known
$$;

REVOKE ALL ON FUNCTION public.reconcile_rows(p_ids bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reconcile_rows(p_ids bigint[]) TO service_role;
