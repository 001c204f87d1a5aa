-- The live function record_crm_change, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.record_crm_change(p_actor jsonb, p_kind text, p_order_id uuid, p_product_id uuid, p_job_id uuid, p_detail jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.crm_changes (staff_id, actor, order_id, product_id, job_id, kind, detail)
  values ((p_actor ->> 'staff_id')::uuid, coalesce(nullif(p_actor ->> 'name', ''), 'API'), p_order_id, p_product_id,
          p_job_id, p_kind, coalesce(p_detail, '{}'::jsonb))
$$;

REVOKE ALL ON FUNCTION public.record_crm_change(p_actor jsonb, p_kind text, p_order_id uuid, p_product_id uuid, p_job_id uuid, p_detail jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.record_crm_change(p_actor jsonb, p_kind text, p_order_id uuid, p_product_id uuid, p_job_id uuid, p_detail jsonb) TO service_role;
