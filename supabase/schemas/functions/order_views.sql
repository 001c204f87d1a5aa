-- The live function order_views, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_views(p_filter jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(public.order_view_of(o) order by o.created_at desc, o.id), '[]'::jsonb)
  from (
    select * from public.orders o
    where (p_filter ->> 'status' is null or o.status = p_filter ->> 'status')
      and (p_filter ->> 'date' is null or o.delivery_date = (p_filter ->> 'date')::date)
      and (p_filter ->> 'shop' is null or o.bitrix_shop_id = (p_filter ->> 'shop')::bigint)
      and (p_filter ->> 'origin' is null or o.origin = p_filter ->> 'origin')
      and (p_filter ->> 'q' is null
           or o.recipient_name ilike p_filter ->> 'q_like'
           or (coalesce(p_filter ->> 'q_digits', '') <> '' and (
                 regexp_replace(coalesce(o.recipient_phone, ''), '[^0-9]', '', 'g') like '%' || (p_filter ->> 'q_digits') || '%'
                 or o.bitrix_order_id::text = p_filter ->> 'q_digits'
                 or o.order_number = p_filter ->> 'q_digits')))
    order by o.created_at desc, o.id
    limit (p_filter ->> 'limit')::integer offset (p_filter ->> 'offset')::integer
  ) o
$$;

REVOKE ALL ON FUNCTION public.order_views(p_filter jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_views(p_filter jsonb) TO service_role;
