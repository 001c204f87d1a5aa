-- The live function day_board, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.day_board(p_date date, p_statuses text[] DEFAULT NULL::text[]) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'slots', public.slot_list(),
    -- Without their items: the board shows none, and a day of 300 orders is half the bytes.
    'orders', coalesce((select jsonb_agg(public.order_view_of(o, false)
                                         order by o.delivery_time_id nulls last, o.created_at)
                        from public.orders o
                        where o.delivery_date = p_date and (p_statuses is null or o.status = any (p_statuses))),
                       '[]'::jsonb))
$$;

REVOKE ALL ON FUNCTION public.day_board(p_date date, p_statuses text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.day_board(p_date date, p_statuses text[]) TO service_role;
