-- One query for a day's orders: the board's (every order) and the delivery-risk check's (those
-- still waiting for the courier) were the same query twice; now `day_board` takes the statuses
-- to keep (null: all).

drop function public.risk_candidates(date, text[]);
drop function public.day_board(date);

create function public.day_board(p_date date, p_statuses text[] default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'slots', public.slot_list(),
    -- Without their items: the board shows none, and a day of 300 orders is half the bytes.
    'orders', coalesce((select jsonb_agg(public.order_view_of(o, false)
                                         order by o.delivery_time_id nulls last, o.created_at)
                        from public.orders o
                        where o.delivery_date = p_date and (p_statuses is null or o.status = any (p_statuses))),
                       '[]'::jsonb))
$$;

select public.grant_to_service_role_only(array['day_board(date,text[])']);
