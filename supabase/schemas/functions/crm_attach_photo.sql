-- The live function crm_attach_photo, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_attach_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_old jsonb;
  v_job uuid;
begin
  select o.bouquet_photo into v_old from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  if v_old ->> 'key' = p_photo ->> 'key' then
    return jsonb_build_object('changed', false, 'jobs', '[]'::jsonb);
  end if;
  update public.orders o set
    bouquet_photo = p_photo || jsonb_build_object('at', now(), 'by', coalesce(nullif(p_actor ->> 'name', ''), 'API')),
    assembled_at = coalesce(o.assembled_at, now()),
    updated_at = now()
  where o.id = p_order_id;
  v_job := public.add_job(p_jobs -> 'bouquet_photo', jsonb_build_object('order_id', p_order_id, 'photo', p_photo ->> 'key'));
  perform public.record_crm_change(p_actor, 'photo_attached', p_order_id, null, null,
                                   jsonb_build_object('size', p_photo -> 'size', 'replaced', v_old is not null));
  return jsonb_build_object('changed', true, 'jobs', to_jsonb(array_remove(array[v_job], null)));
end
$$;

REVOKE ALL ON FUNCTION public.crm_attach_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_attach_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb, p_jobs jsonb) TO service_role;
