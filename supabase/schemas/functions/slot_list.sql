-- The live function slot_list, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.slot_list() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object('id', s.bitrix_slot_id, 'label', s.label,
                                               'starts_at', s.starts_at, 'ends_at', s.ends_at)
                            order by s.starts_at nulls last, s.bitrix_slot_id), '[]'::jsonb)
  from public.delivery_time_slots s
$$;

REVOKE ALL ON FUNCTION public.slot_list() FROM PUBLIC;
GRANT ALL ON FUNCTION public.slot_list() TO service_role;
