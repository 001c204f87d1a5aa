-- The live function crm_edit_order, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_edit_order(p_order_id uuid, p_edit jsonb, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

REVOKE ALL ON FUNCTION public.crm_edit_order(p_order_id uuid, p_edit jsonb, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_edit_order(p_order_id uuid, p_edit jsonb, p_actor jsonb, p_jobs jsonb) TO service_role;
