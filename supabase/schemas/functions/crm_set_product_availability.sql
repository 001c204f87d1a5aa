-- The live function crm_set_product_availability, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_set_product_availability(p_product_id uuid, p_stock_code text, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_product public.products%rowtype;
  v_jobs uuid[] := '{}';
begin
  update public.products p set
    metadata = jsonb_set(case when jsonb_typeof(p.metadata -> 'properties') = 'object' then p.metadata
                              else jsonb_set(p.metadata, '{properties}', '{}'::jsonb) end,
                         '{properties,IN_STOCK}', to_jsonb(p_stock_code)),
    updated_at = now()
  where p.id = p_product_id
  returning * into v_product;
  if not found then
    return null;
  end if;
  if v_product.metadata -> 'properties' ->> 'bitrix_id' is not null then
    v_jobs := v_jobs || public.add_job(p_jobs -> 'set_availability',
                                      jsonb_build_object('product_id', p_product_id, 'change', gen_random_uuid(),
                                                         'stock', p_stock_code));
  end if;
  perform public.record_crm_change(p_actor, 'availability_set', null, p_product_id, null,
                                   jsonb_build_object('stock', p_stock_code));
  return jsonb_build_object('jobs', to_jsonb(v_jobs));
end
$$;

REVOKE ALL ON FUNCTION public.crm_set_product_availability(p_product_id uuid, p_stock_code text, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_set_product_availability(p_product_id uuid, p_stock_code text, p_actor jsonb, p_jobs jsonb) TO service_role;
