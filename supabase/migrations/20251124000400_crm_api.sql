-- Changes made in the CRM, each in one transaction with the jobs that carry it to Bitrix and
-- to the shop's chat (sync_jobs). A CRM order records its origin, and the Bitrix status codes
-- the CRM sends are remembered in status_echoes so that their webhook echo changes nothing.

-- p_order: { recipient_name, recipient_phone, delivery_address, postcard_text, delivery_date,
--   delivery_time_id, bitrix_city_id, bitrix_shop_id, customer_comment, delivery_fee, currency,
--   total_amount, items: [{ product_id?, bitrix_product_id?, name?, price, quantity }] }
-- (validated by the Worker). Returns { order_id, jobs, replayed }, or { problems } when an item
-- names an unknown product. With a request key, a repeated
-- call (a double click, a client retry) returns the order it created the first time, and
-- queues nothing again.
create or replace function public.crm_create_order(p_order jsonb, p_request_key text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
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
  values ('crm', p_request_key, 'new', 'N', array['N'], now() + interval '1 day', (p_order ->> 'total_amount')::numeric, (p_order ->> 'delivery_fee')::numeric,
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

  v_jobs := v_jobs || public.add_sync_job('reverse_sync', 'bitrix:create_order:' || v_id, jsonb_build_object('order_id', v_id));
  v_jobs := v_jobs || public.add_sync_job('telegram', 'telegram:new_order:' || v_id,
                                         jsonb_build_object('order_id', v_id, 'occasion', 'new_order'));
  return jsonb_build_object('order_id', v_id, 'jobs', to_jsonb(v_jobs), 'replayed', false);
end
$$;

-- Sets a status from the CRM. Returns null for an unknown order, { changed: false } when the
-- order already has it, else { changed: true, jobs }.
create or replace function public.crm_set_order_status(p_order_id uuid, p_status text, p_status_raw text)
returns jsonb
language plpgsql
set search_path = ''
as $$
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
    status_echoes_until = case when p_status_raw is null then o.status_echoes_until else now() + interval '1 day' end,
    updated_at = now()
  where o.id = p_order_id;
  if p_status_raw is not null then
    v_jobs := v_jobs || public.add_sync_job('status_sync', 'bitrix:status:' || p_order_id || ':' || v_change,
                                           jsonb_build_object('order_id', p_order_id, 'status', p_status));
  end if;
  v_jobs := v_jobs || public.add_sync_job('telegram', 'telegram:status:' || p_order_id || ':crm:' || v_change,
                                         jsonb_build_object('order_id', p_order_id, 'occasion', 'status_changed',
                                                            'status', p_status));
  return jsonb_build_object('changed', true, 'jobs', to_jsonb(v_jobs));
end
$$;

-- Marks a product in stock ("158") or out of stock ("159"). Returns null for an unknown
-- product, else { product, jobs }; a product with no bitrix_id has nothing to sync.
create or replace function public.crm_set_product_availability(p_product_id uuid, p_in_stock boolean)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_product public.products%rowtype;
  v_jobs uuid[] := '{}';
begin
  update public.products p set
    metadata = jsonb_set(case when jsonb_typeof(p.metadata -> 'properties') = 'object' then p.metadata
                              else jsonb_set(p.metadata, '{properties}', '{}'::jsonb) end,
                         '{properties,IN_STOCK}', to_jsonb(case when p_in_stock then '158' else '159' end)),
    updated_at = now()
  where p.id = p_product_id
  returning * into v_product;
  if not found then
    return null;
  end if;
  if v_product.metadata -> 'properties' ->> 'bitrix_id' is not null then
    v_jobs := v_jobs || public.add_sync_job('availability_sync',
                                           'bitrix:availability:' || p_product_id || ':' || gen_random_uuid(),
                                           jsonb_build_object('product_id', p_product_id));
  end if;
  return jsonb_build_object('product', to_jsonb(v_product), 'jobs', to_jsonb(v_jobs));
end
$$;

revoke all on function public.crm_create_order(jsonb, text) from public, anon, authenticated;
revoke all on function public.crm_set_order_status(uuid, text, text) from public, anon, authenticated;
revoke all on function public.crm_set_product_availability(uuid, boolean) from public, anon, authenticated;
grant execute on function public.crm_create_order(jsonb, text) to service_role;
grant execute on function public.crm_set_order_status(uuid, text, text) to service_role;
grant execute on function public.crm_set_product_availability(uuid, boolean) to service_role;
