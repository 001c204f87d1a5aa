-- The live function crm_create_order, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.crm_create_order(p_order jsonb, p_request_key text, p_echo_seconds integer, p_actor jsonb, p_jobs jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_id uuid;
  v_jobs uuid[] := '{}';
  v_unknown jsonb;
begin
  -- Items naming a CRM product that does not exist: refused with their fields, nothing stored.
  select jsonb_agg(jsonb_build_object('field', format('items[%s].product_id', n - 1), 'message', 'Товар не найден'))
  into v_unknown
  from jsonb_array_elements(p_order -> 'items') with ordinality as l(line, n)
  where line ->> 'product_id' is not null
    and not exists (select 1 from public.products p where p.id = (line ->> 'product_id')::uuid);
  if v_unknown is not null then
    return jsonb_build_object('problems', v_unknown);
  end if;

  insert into public.orders (origin, crm_request_key, status, status_raw, status_echoes, status_echoes_until,
                             total_amount, delivery_fee, currency,
                             recipient_name, recipient_phone, delivery_address, postcard_text, customer_comment,
                             delivery_date, delivery_time_id, bitrix_city_id, bitrix_shop_id, details_known)
  values ('crm', p_request_key, 'new', 'N', array['N'], now() + make_interval(secs => p_echo_seconds),
          (p_order ->> 'total_amount')::numeric, (p_order ->> 'delivery_fee')::numeric,
          coalesce(p_order ->> 'currency', 'KZT'), p_order ->> 'recipient_name', p_order ->> 'recipient_phone',
          p_order ->> 'delivery_address', p_order ->> 'postcard_text', p_order ->> 'customer_comment',
          (p_order ->> 'delivery_date')::date, (p_order ->> 'delivery_time_id')::bigint,
          (p_order ->> 'bitrix_city_id')::bigint, (p_order ->> 'bitrix_shop_id')::bigint, true)
  on conflict (crm_request_key) do nothing
  returning id into v_id;
  if v_id is null then
    select o.id into v_id from public.orders o where o.crm_request_key = p_request_key;
    return jsonb_build_object('order_id', v_id, 'jobs', '[]'::jsonb, 'replayed', true);
  end if;

  insert into public.order_items (order_id, bitrix_product_id, product_id, product_snapshot, price, quantity)
  select v_id,
         coalesce((line ->> 'bitrix_product_id')::bigint, (p.metadata -> 'properties' ->> 'bitrix_id')::bigint),
         p.id,
         jsonb_build_object('name', coalesce(line ->> 'name', p.name), 'currency', coalesce(p_order ->> 'currency', 'KZT')),
         (line ->> 'price')::numeric,
         (line ->> 'quantity')::numeric
  from jsonb_array_elements(p_order -> 'items') with ordinality as l(line, n)
  left join public.products p
    on p.id = (line ->> 'product_id')::uuid
    or (line ->> 'product_id' is null and p.metadata -> 'properties' ->> 'bitrix_id' = line ->> 'bitrix_product_id')
  order by n;

  v_jobs := v_jobs || public.add_job(p_jobs -> 'create_bitrix_order', jsonb_build_object('order_id', v_id));
  v_jobs := v_jobs || public.add_job(p_jobs -> 'new_order_message', jsonb_build_object('order_id', v_id));
  perform public.record_crm_change(p_actor, 'order_created', v_id, null, null, '{}'::jsonb);
  return jsonb_build_object('order_id', v_id, 'jobs', to_jsonb(v_jobs), 'replayed', false);
end
$$;

REVOKE ALL ON FUNCTION public.crm_create_order(p_order jsonb, p_request_key text, p_echo_seconds integer, p_actor jsonb, p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crm_create_order(p_order jsonb, p_request_key text, p_echo_seconds integer, p_actor jsonb, p_jobs jsonb) TO service_role;
