-- The live function crm_change_staff, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_change_staff(p_staff_id uuid, p_change jsonb, p_actor jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_action constant text := p_change ->> 'action';
  v_staff public.staff%rowtype;
  v_kind text;
  v_detail jsonb := '{}'::jsonb;
begin
  if v_action = 'add' then
    insert into public.staff (login, name, role, password_hash)
    values (lower(p_change ->> 'login'), p_change ->> 'name', p_change ->> 'role', p_change ->> 'password_hash')
    on conflict (login) do nothing
    returning * into v_staff;
    if not found then
      return jsonb_build_object('outcome', 'login_taken');
    end if;
    delete from public.staff_login_failures f where f.login = v_staff.login;
    v_kind := 'staff_added';
    v_detail := jsonb_build_object('login', v_staff.login, 'role', v_staff.role);
  else
    select * into v_staff from public.staff s where s.id = p_staff_id for update;
    if not found then
      return jsonb_build_object('outcome', 'not_found');
    end if;
    v_detail := jsonb_build_object('login', v_staff.login);
    case v_action
      when 'disable' then
        if v_staff.disabled_at is not null then return jsonb_build_object('outcome', 'same', 'id', v_staff.id); end if;
        update public.staff set disabled_at = now() where id = v_staff.id;
        update public.staff_sessions set ended_at = now() where staff_id = v_staff.id and ended_at is null;
        -- A disabled courier's open deliveries go back to the board without a courier.
        update public.orders set courier_id = null, updated_at = now()
        where courier_id = v_staff.id and status not in ('completed', 'returned', 'declined', 'finished', 'refunded', 'cancelled');
        v_kind := 'staff_disabled';
      when 'enable' then
        if v_staff.disabled_at is null then return jsonb_build_object('outcome', 'same', 'id', v_staff.id); end if;
        update public.staff set disabled_at = null where id = v_staff.id;
        v_kind := 'staff_enabled';
      when 'reset' then
        update public.staff set password_hash = p_change ->> 'password_hash', password_set_at = now() where id = v_staff.id;
        update public.staff_sessions set ended_at = now() where staff_id = v_staff.id and ended_at is null;
        delete from public.staff_login_failures f where f.login = v_staff.login;
        v_kind := 'staff_password_reset';
      when 'unlock' then
        delete from public.staff_login_failures f where f.login = v_staff.login;
        v_kind := 'staff_unlocked';
      when 'role' then
        if v_staff.role = p_change ->> 'role' then return jsonb_build_object('outcome', 'same', 'id', v_staff.id); end if;
        update public.staff set role = p_change ->> 'role' where id = v_staff.id;
        v_detail := v_detail || jsonb_build_object('from', v_staff.role, 'to', p_change ->> 'role');
        v_kind := 'staff_role_set';
    end case;
  end if;
  insert into public.crm_changes (staff_id, actor, subject_staff_id, kind, detail)
  values ((p_actor ->> 'staff_id')::uuid, coalesce(nullif(p_actor ->> 'name', ''), 'API'), v_staff.id, v_kind, v_detail);
  return jsonb_build_object('outcome', 'done', 'id', v_staff.id);
end
$$;

REVOKE ALL ON FUNCTION public.crm_change_staff(p_staff_id uuid, p_change jsonb, p_actor jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_change_staff(p_staff_id uuid, p_change jsonb, p_actor jsonb) TO service_role;
