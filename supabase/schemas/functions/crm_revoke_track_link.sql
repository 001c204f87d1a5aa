-- The live function crm_revoke_track_link, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_revoke_track_link(p_order_id uuid, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_job uuid;
begin
  perform 1 from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  update public.track_links t set revoked_at = now() where t.order_id = p_order_id and t.revoked_at is null;
  if not found then
    return jsonb_build_object('revoked', false, 'jobs', '[]'::jsonb);
  end if;
  perform public.record_crm_change(p_actor, 'track_link_revoked', p_order_id, null, null, '{}'::jsonb);
  v_job := public.add_job(p_jobs -> 'bitrix_track_url',
                          -- No token: the job's token is null (a null value would empty its key).
                          jsonb_build_object('order_id', p_order_id, 'change', gen_random_uuid()));
  return jsonb_build_object('revoked', true, 'jobs', to_jsonb(array_remove(array[v_job], null)));
end
$$;

REVOKE ALL ON FUNCTION public.crm_revoke_track_link(p_order_id uuid, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_revoke_track_link(p_order_id uuid, p_actor jsonb, p_jobs jsonb) TO service_role;
