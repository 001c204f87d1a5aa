-- The live function crm_set_order_status, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_set_order_status(p_order_id uuid, p_status text, p_status_raw text, p_echo_seconds integer, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_old text;
  v_jobs uuid[] := '{}';
  v_change constant text := gen_random_uuid()::text;
begin
  select o.status into v_old from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  if v_old = p_status then
    return jsonb_build_object('changed', false, 'jobs', '[]'::jsonb);
  end if;
  update public.orders o set
    status = p_status,
    status_raw = coalesce(p_status_raw, o.status_raw),
    status_echoes = case when p_status_raw is null then o.status_echoes
                         when o.status_echoes_until > now() then o.status_echoes || p_status_raw
                         else array[p_status_raw] end,
    status_echoes_until = case when p_status_raw is null then o.status_echoes_until
                               else now() + make_interval(secs => p_echo_seconds) end,
    updated_at = now()
  where o.id = p_order_id;
  if p_status_raw is not null then
    v_jobs := v_jobs || public.add_job(p_jobs -> 'set_bitrix_status',
                                      jsonb_build_object('order_id', p_order_id, 'change', v_change, 'status', p_status));
  end if;
  v_jobs := v_jobs || public.add_job(p_jobs -> 'crm_status_message',
                                    jsonb_build_object('order_id', p_order_id, 'change', v_change, 'status', p_status));
  perform public.record_crm_change(p_actor, 'status_set', p_order_id, null, null,
                                   jsonb_build_object('from', v_old, 'to', p_status));
  return jsonb_build_object('changed', true, 'jobs', to_jsonb(v_jobs));
end
$$;

REVOKE ALL ON FUNCTION public.crm_set_order_status(p_order_id uuid, p_status text, p_status_raw text, p_echo_seconds integer, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_set_order_status(p_order_id uuid, p_status text, p_status_raw text, p_echo_seconds integer, p_actor jsonb, p_jobs jsonb) TO service_role;
