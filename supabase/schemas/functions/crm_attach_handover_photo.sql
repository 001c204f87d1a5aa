-- The live function crm_attach_handover_photo, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_attach_handover_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_old jsonb;
begin
  select o.handover_photo into v_old from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  if v_old ->> 'key' = p_photo ->> 'key' then
    return false;
  end if;
  update public.orders o set
    handover_photo = p_photo || jsonb_build_object('at', now(), 'by', coalesce(nullif(p_actor ->> 'name', ''), 'API')),
    updated_at = now()
  where o.id = p_order_id;
  perform public.record_crm_change(p_actor, 'handover_photo', p_order_id, null, null,
                                   jsonb_build_object('size', p_photo -> 'size'));
  return true;
end
$$;

REVOKE ALL ON FUNCTION public.crm_attach_handover_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_attach_handover_photo(p_order_id uuid, p_photo jsonb, p_actor jsonb) TO service_role;
