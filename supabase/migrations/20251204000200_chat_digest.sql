-- Issue 17: the chat is never flooded. When several order messages wait for the shop's chat at
-- once (a burst of orders, or messages held back by Telegram's 429), the one being sent takes
-- the others along as one digest: claim_chat_backlog claims them (oldest first, under a lease,
-- so no other attempt sends them too) and finish_chat_backlog ends them with it, or puts them
-- back in line when the digest could not be sent. The flow and the occasions are the Worker's
-- (domain::jobs::digest_kinds); SQL spells none.

create or replace function public.claim_chat_backlog(p_job_id uuid, p_flow text, p_occasions text[], p_min integer,
                                                     p_limit integer, p_lease_seconds integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_waiting integer;
  v_taken jsonb;
begin
  select count(*) into v_waiting
  from public.sync_jobs j
  where j.flow = p_flow and j.status in ('pending', 'retrying') and j.id <> p_job_id
    and j.payload ->> 'occasion' = any (p_occasions);
  if v_waiting + 1 < p_min then
    return '[]'::jsonb;
  end if;
  with taken as (
    select j.id
    from public.sync_jobs j
    where j.flow = p_flow and j.status in ('pending', 'retrying') and j.id <> p_job_id
      and j.payload ->> 'occasion' = any (p_occasions)
    order by j.created_at, j.id
    limit greatest(p_limit, 0)
    for update skip locked
  ), claimed as (
    update public.sync_jobs j set
      status = 'running',
      attempts = j.attempts + 1,
      locked_until = now() + make_interval(secs => p_lease_seconds),
      updated_at = now()
    from taken
    where j.id = taken.id
    returning j.id, j.payload, j.created_at
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', c.id, 'payload', c.payload, 'created_at', c.created_at,
           'order', (select public.order_view_of(o, false) from public.orders o
                     where o.id::text = c.payload ->> 'order_id'))
         order by c.created_at, c.id), '[]'::jsonb)
  into v_taken
  from claimed c;
  return v_taken;
end
$$;

create or replace function public.finish_chat_backlog(p_ids uuid[], p_digest uuid, p_sent boolean)
returns void
language sql
set search_path = ''
as $$
  update public.sync_jobs j set
    status = case when p_sent then 'done' else 'pending' end,
    attempts = case when p_sent then j.attempts else greatest(j.attempts - 1, 0) end,
    result = case when p_sent then jsonb_build_object('in_digest', p_digest) else j.result end,
    last_error = case when p_sent then null else j.last_error end,
    done_at = case when p_sent then now() else j.done_at end,
    locked_until = null,
    updated_at = now()
  where j.id = any (p_ids) and j.status = 'running'
$$;

select public.grant_to_service_role_only(array[
  'claim_chat_backlog(uuid,text,text[],integer,integer,integer)', 'finish_chat_backlog(uuid[],uuid,boolean)']);
