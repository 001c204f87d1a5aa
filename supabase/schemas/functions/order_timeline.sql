-- The live function order_timeline, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.order_timeline(p_order_id uuid) RETURNS jsonb
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

REVOKE ALL ON FUNCTION public.order_timeline(p_order_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.order_timeline(p_order_id uuid) TO service_role;
