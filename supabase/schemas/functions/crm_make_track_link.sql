-- The live function crm_make_track_link, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_make_track_link(p_order_id uuid, p_token text, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_live text;
  v_job uuid;
begin
  perform 1 from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  select t.token into v_live from public.track_links t where t.order_id = p_order_id and t.revoked_at is null;
  if found then
    return jsonb_build_object('token', v_live, 'made', false, 'jobs', '[]'::jsonb);
  end if;
  insert into public.track_links (token, order_id, created_by)
  values (p_token, p_order_id, coalesce(nullif(p_actor ->> 'name', ''), 'API'));
  perform public.record_crm_change(p_actor, 'track_link_made', p_order_id, null, null, '{}'::jsonb);
  v_job := public.add_job(p_jobs -> 'bitrix_track_url',
                          jsonb_build_object('order_id', p_order_id, 'change', gen_random_uuid(), 'token', p_token));
  return jsonb_build_object('token', p_token, 'made', true, 'jobs', to_jsonb(array_remove(array[v_job], null)));
end
$$;

REVOKE ALL ON FUNCTION public.crm_make_track_link(p_order_id uuid, p_token text, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_make_track_link(p_order_id uuid, p_token text, p_actor jsonb, p_jobs jsonb) TO service_role;
