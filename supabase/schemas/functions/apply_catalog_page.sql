-- The live function apply_catalog_page, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.apply_catalog_page(p_run uuid, p_products jsonb, p_availability_flow text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_item jsonb;
  v_row public.products%rowtype;
  v_before jsonb;
  v_after jsonb;
  v_stock text;
  v_created integer := 0;
  v_updated integer := 0;
  v_unchanged integer := 0;
  v_kept integer := 0;
begin
  for v_item in select x from jsonb_array_elements(p_products) x loop
    select * into v_row from public.products p
    where p.metadata -> 'properties' ->> 'bitrix_id' = v_item ->> 'bitrix_id'
    for update;
    if not found then
      insert into public.products (name, price, metadata, active, section_id, section_name, picture_url,
                                   bitrix_changed_at, catalog_run)
      values (v_item ->> 'name', (v_item ->> 'price')::numeric,
              jsonb_build_object('properties', jsonb_strip_nulls(jsonb_build_object(
                'bitrix_id', v_item ->> 'bitrix_id', 'IN_STOCK', v_item ->> 'stock', 'ru_url', v_item ->> 'code'))),
              (v_item ->> 'active')::boolean, (v_item ->> 'section_id')::bigint, v_item ->> 'section_name',
              v_item ->> 'picture', (v_item ->> 'changed_at')::timestamptz, p_run);
      v_created := v_created + 1;
      continue;
    end if;
    if v_row.bitrix_changed_at is not null and (v_item ->> 'changed_at')::timestamptz < v_row.bitrix_changed_at then
      update public.products p set catalog_run = p_run where p.id = v_row.id;
      v_kept := v_kept + 1;
      continue;
    end if;
    -- The CRM's own toggle on its way to Bitrix wins over what Bitrix still says.
    v_stock := case
      when exists (select 1 from public.sync_jobs j
                   where j.flow = p_availability_flow and j.status in ('pending', 'retrying', 'running')
                     and j.payload ->> 'product_id' = v_row.id::text)
        then v_row.metadata -> 'properties' ->> 'IN_STOCK'
      else coalesce(v_item ->> 'stock', v_row.metadata -> 'properties' ->> 'IN_STOCK')
    end;
    v_before := to_jsonb(v_row) - array['catalog_run', 'updated_at', 'bitrix_changed_at'];
    update public.products p set
      name = v_item ->> 'name',
      price = (v_item ->> 'price')::numeric,
      metadata = jsonb_set(case when jsonb_typeof(p.metadata -> 'properties') = 'object' then p.metadata
                                else jsonb_set(p.metadata, '{properties}', '{}'::jsonb) end,
                           '{properties}',
                           (p.metadata -> 'properties') || jsonb_strip_nulls(jsonb_build_object(
                             'IN_STOCK', v_stock, 'ru_url', v_item ->> 'code'))),
      active = (v_item ->> 'active')::boolean,
      section_id = (v_item ->> 'section_id')::bigint,
      section_name = v_item ->> 'section_name',
      picture_url = v_item ->> 'picture',
      bitrix_changed_at = coalesce((v_item ->> 'changed_at')::timestamptz, p.bitrix_changed_at),
      catalog_run = p_run
    where p.id = v_row.id
    returning * into v_row;
    v_after := to_jsonb(v_row) - array['catalog_run', 'updated_at', 'bitrix_changed_at'];
    if v_after is distinct from v_before then
      update public.products p set updated_at = now() where p.id = v_row.id;
      v_updated := v_updated + 1;
    else
      v_unchanged := v_unchanged + 1;
    end if;
  end loop;
  return jsonb_build_object('created', v_created, 'updated', v_updated, 'unchanged', v_unchanged, 'kept', v_kept);
end
$$;

REVOKE ALL ON FUNCTION public.apply_catalog_page(p_run uuid, p_products jsonb, p_availability_flow text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apply_catalog_page(p_run uuid, p_products jsonb, p_availability_flow text) TO service_role;
