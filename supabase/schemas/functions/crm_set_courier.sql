-- The live function crm_set_courier, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_set_courier(p_order_id uuid, p_date date, p_slot bigint, p_courier_id uuid, p_actor jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_name text;
  v_changed uuid[] := '{}';
  o record;
begin
  if p_courier_id is not null then
    select s.name into v_name from public.staff s
    where s.id = p_courier_id and s.role = 'courier' and s.disabled_at is null;
    if not found then
      return jsonb_build_object('courier', 'not_a_courier', 'orders', '[]'::jsonb);
    end if;
  end if;
  for o in
    select x.id, x.courier_id, (select s.name from public.staff s where s.id = x.courier_id) as old_name
    from public.orders x
    where (p_order_id is not null and x.id = p_order_id)
       or (p_order_id is null and x.delivery_date = p_date and x.delivery_time_id is not distinct from p_slot
           and x.status not in ('completed', 'returned', 'declined', 'finished', 'refunded', 'cancelled'))
    order by x.created_at
    for update
  loop
    continue when o.courier_id is not distinct from p_courier_id;
    update public.orders set courier_id = p_courier_id, updated_at = now() where id = o.id;
    perform public.record_crm_change(p_actor, 'courier_set', o.id, null, null,
                                     jsonb_build_object('from', o.old_name, 'to', v_name));
    v_changed := v_changed || o.id;
  end loop;
  return jsonb_build_object('courier', 'ok', 'orders', to_jsonb(v_changed));
end
$$;

REVOKE ALL ON FUNCTION public.crm_set_courier(p_order_id uuid, p_date date, p_slot bigint, p_courier_id uuid, p_actor jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_set_courier(p_order_id uuid, p_date date, p_slot bigint, p_courier_id uuid, p_actor jsonb) TO service_role;
