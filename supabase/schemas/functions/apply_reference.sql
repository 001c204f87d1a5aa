-- The live function apply_reference, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.apply_reference(p_reference jsonb, p_trigger text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_changed integer := 0;
  v_rows integer;
  v_outcome jsonb;
begin
  insert into public.delivery_time_slots as s (bitrix_slot_id, label, starts_at, ends_at)
  select (x ->> 'id')::bigint, x ->> 'name', (x ->> 'starts_at')::time, (x ->> 'ends_at')::time
  from jsonb_array_elements(p_reference -> 'slots') x
  on conflict (bitrix_slot_id) do update set label = excluded.label, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at
  where (s.label, s.starts_at, s.ends_at) is distinct from (excluded.label, excluded.starts_at, excluded.ends_at);
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.cities as c (bitrix_city_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'cities') x
  on conflict (bitrix_city_id) do update set name = excluded.name where c.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.shops as s (bitrix_shop_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'shops') x
  on conflict (bitrix_shop_id) do update set name = excluded.name where s.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.bitrix_statuses as b (code, name)
  select x ->> 'code', x ->> 'name' from jsonb_array_elements(p_reference -> 'statuses') x
  on conflict (code) do update set name = excluded.name where b.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.pay_systems as p (bitrix_pay_system_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'pay_systems') x
  on conflict (bitrix_pay_system_id) do update set name = excluded.name where p.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  insert into public.delivery_services as d (bitrix_delivery_id, name)
  select (x ->> 'id')::bigint, x ->> 'name' from jsonb_array_elements(p_reference -> 'deliveries') x
  on conflict (bitrix_delivery_id) do update set name = excluded.name where d.name is distinct from excluded.name;
  get diagnostics v_rows = row_count;
  v_changed := v_changed + v_rows;

  v_outcome := jsonb_build_object(
    'slots', jsonb_array_length(p_reference -> 'slots'), 'cities', jsonb_array_length(p_reference -> 'cities'),
    'shops', jsonb_array_length(p_reference -> 'shops'), 'statuses', jsonb_array_length(p_reference -> 'statuses'),
    'pay_systems', jsonb_array_length(p_reference -> 'pay_systems'),
    'deliveries', jsonb_array_length(p_reference -> 'deliveries'),
    'changed', v_changed, 'skipped', coalesce(p_reference -> 'skipped', '[]'::jsonb));
  insert into public.reference_refreshes (trigger, outcome) values (p_trigger, v_outcome);
  return v_outcome;
end
$$;

REVOKE ALL ON FUNCTION public.apply_reference(p_reference jsonb, p_trigger text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apply_reference(p_reference jsonb, p_trigger text) TO service_role;
