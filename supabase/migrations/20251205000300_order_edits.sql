-- Issue 19: an order edited in the CRM (recipient, phone, address, date, slot, postcard, the
-- buyer's comment, delivery fee, lines). The edit applies only if every field it changes still
-- has the value the editor saw (else nothing changes and the form shows the new values), is
-- recorded with who made it (before -> after), and is carried to Bitrix by an
-- update_bitrix_order job (reverse_sync: its webhook echo is known by the job's key, as a
-- creation's is). The rule for a CRM edit and a Bitrix edit at the same time is in
-- src/app/edit.rs.

alter table public.crm_changes drop constraint crm_changes_kind_check;
alter table public.crm_changes add constraint crm_changes_kind_check check (kind in (
  'order_created', 'status_set', 'availability_set', 'dead_letter_replayed', 'courier_set', 'photo_attached',
  'order_edited', 'staff_added', 'staff_disabled', 'staff_enabled', 'staff_password_reset', 'staff_unlocked',
  'staff_role_set'));

-- p_edit: {"fields": {name: {"from", "to"}}, "lines": [{"op": "quantity", "item", "from", "to"} |
-- {"op": "remove", "item", "quantity"} | {"op": "add", "bitrix_product_id", "name", "price", "quantity"}]}.
-- Null for an unknown order; {"outcome": "moved", "fields": [...]} when the order changed since
-- the form was opened; else {"outcome": "done", "jobs": [...]}.
create or replace function public.crm_edit_order(p_order_id uuid, p_edit jsonb, p_actor jsonb, p_jobs jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_order public.orders%rowtype;
  v_fields constant jsonb := coalesce(p_edit -> 'fields', '{}'::jsonb);
  v_lines constant jsonb := coalesce(p_edit -> 'lines', '[]'::jsonb);
  v_moved text[] := '{}';
  v_field text;
  v_now text;
  v_line jsonb;
  v_job uuid;
begin
  select * into v_order from public.orders o where o.id = p_order_id for update;
  if not found then
    return null;
  end if;
  -- (1) Nobody overwrites what they did not see.
  for v_field in select jsonb_object_keys(v_fields) loop
    if v_field = 'delivery_fee' then
      if (v_fields -> v_field ->> 'from')::numeric is distinct from v_order.delivery_fee then
        v_moved := v_moved || v_field;
      end if;
      continue;
    end if;
    v_now := case v_field
      when 'recipient_name' then v_order.recipient_name
      when 'recipient_phone' then v_order.recipient_phone
      when 'delivery_address' then v_order.delivery_address
      when 'delivery_date' then v_order.delivery_date::text
      when 'delivery_time_id' then v_order.delivery_time_id::text
      when 'postcard_text' then v_order.postcard_text
      when 'customer_comment' then v_order.customer_comment
    end;
    if nullif(btrim(v_now), '') is distinct from (v_fields -> v_field ->> 'from') then
      v_moved := v_moved || v_field;
    end if;
  end loop;
  for v_line in select value from jsonb_array_elements(v_lines) loop
    if v_line ->> 'op' in ('quantity', 'remove') and not exists (
      select 1 from public.order_items i
      where i.id = (v_line ->> 'item')::uuid and i.order_id = p_order_id
        and i.quantity = coalesce(v_line ->> 'from', v_line ->> 'quantity')::numeric) then
      v_moved := v_moved || ('items[' || (v_line ->> 'item') || '].quantity');
    end if;
  end loop;
  if cardinality(v_moved) > 0 then
    return jsonb_build_object('outcome', 'moved', 'fields', to_jsonb(v_moved));
  end if;

  -- (2) The order's own fields.
  update public.orders o set
    recipient_name   = case when v_fields ? 'recipient_name' then v_fields -> 'recipient_name' ->> 'to' else o.recipient_name end,
    recipient_phone  = case when v_fields ? 'recipient_phone' then v_fields -> 'recipient_phone' ->> 'to' else o.recipient_phone end,
    delivery_address = case when v_fields ? 'delivery_address' then v_fields -> 'delivery_address' ->> 'to' else o.delivery_address end,
    delivery_date    = case when v_fields ? 'delivery_date' then (v_fields -> 'delivery_date' ->> 'to')::date else o.delivery_date end,
    delivery_time_id = case when v_fields ? 'delivery_time_id' then (v_fields -> 'delivery_time_id' ->> 'to')::bigint else o.delivery_time_id end,
    postcard_text    = case when v_fields ? 'postcard_text' then v_fields -> 'postcard_text' ->> 'to' else o.postcard_text end,
    customer_comment = case when v_fields ? 'customer_comment' then v_fields -> 'customer_comment' ->> 'to' else o.customer_comment end,
    delivery_fee     = case when v_fields ? 'delivery_fee' then coalesce((v_fields -> 'delivery_fee' ->> 'to')::numeric, 0) else o.delivery_fee end,
    updated_at = now()
  where o.id = p_order_id;

  -- (3) The lines.
  for v_line in select value from jsonb_array_elements(v_lines) loop
    case v_line ->> 'op'
      when 'quantity' then
        update public.order_items i set quantity = (v_line ->> 'to')::numeric where i.id = (v_line ->> 'item')::uuid;
      when 'remove' then
        delete from public.order_items i where i.id = (v_line ->> 'item')::uuid;
      when 'add' then
        insert into public.order_items (order_id, bitrix_basket_id, bitrix_product_id, product_id, product_snapshot, price, quantity)
        values (p_order_id, null, (v_line ->> 'bitrix_product_id')::bigint,
                (select p.id from public.products p where p.metadata -> 'properties' ->> 'bitrix_id' = v_line ->> 'bitrix_product_id'),
                jsonb_build_object('name', v_line ->> 'name', 'currency', coalesce(v_order.currency, 'KZT')),
                (v_line ->> 'price')::numeric, (v_line ->> 'quantity')::numeric);
    end case;
  end loop;

  -- (4) The total follows the lines and the delivery (each line rounded down to the ten-thousandth).
  if jsonb_array_length(v_lines) > 0 or v_fields ? 'delivery_fee' then
    update public.orders o set total_amount =
      (select coalesce(sum(trunc(i.price * i.quantity, 4)), 0) from public.order_items i where i.order_id = o.id)
      + coalesce(o.delivery_fee, 0)
    where o.id = p_order_id;
  end if;

  perform public.record_crm_change(p_actor, 'order_edited', p_order_id, null, null, p_edit);

  -- (5) To Bitrix, once the order is there (a CRM order still on its way is created with the edit).
  if v_order.bitrix_order_id is not null then
    v_job := public.add_job(p_jobs -> 'update_bitrix_order', jsonb_build_object(
      'order_id', p_order_id, 'change', gen_random_uuid(),
      'fields', (select coalesce(jsonb_agg(k), '[]'::jsonb) from jsonb_object_keys(v_fields) k),
      'lines', jsonb_array_length(v_lines) > 0,
      'seen', (select coalesce(jsonb_object_agg(k, v_fields -> k -> 'from'), '{}'::jsonb) from jsonb_object_keys(v_fields) k)));
  end if;
  return jsonb_build_object('outcome', 'done', 'jobs', to_jsonb(array_remove(array[v_job], null)));
end
$$;

select public.grant_to_service_role_only(array['crm_edit_order(uuid,jsonb,jsonb,jsonb)']);

-- The timeline says which reverse_sync job is an update, and carries each job's result.
create or replace function public.order_timeline(p_order_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  -- Within one instant (a webhook and the jobs its transaction wrote), causes before effects.
  select coalesce(jsonb_agg(entry order by (entry ->> 'at')::timestamptz,
                            case entry ->> 'kind' when 'webhook' then 0 when 'loaded' then 1 when 'change' then 2 else 3 end), '[]'::jsonb)
  from (
    select jsonb_build_object('at', w.received_at, 'kind', 'webhook', 'event', w.event_type, 'outcome', w.outcome) as entry
    from public.webhook_events w where w.order_id = p_order_id
    union all
    select jsonb_build_object('at', o.loaded_from_bitrix_at, 'kind', 'loaded', 'bitrix_created_at', o.bitrix_created_at)
    from public.orders o where o.id = p_order_id and o.loaded_from_bitrix_at is not null
    union all
    select jsonb_build_object('at', c.at, 'kind', 'change', 'change', c.kind, 'actor', c.actor, 'detail', c.detail)
    from public.crm_changes c where c.order_id = p_order_id
    union all
    select jsonb_build_object('at', j.created_at, 'kind', 'job', 'flow', j.flow, 'status', j.status,
                              'attempts', j.attempts, 'last_error', j.last_error,
                              'occasion', coalesce(j.payload ->> 'occasion', case when j.payload ->> 'update' = 'true' then 'update' end),
                              'result', j.result,
                              'updated_at', j.updated_at, 'done_at', j.done_at)
    from public.sync_jobs j where j.payload ->> 'order_id' = p_order_id::text
  ) entries
$$;
