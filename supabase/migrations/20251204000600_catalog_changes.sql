-- Issue 17: between whole loads, what changed in Bitrix is loaded every few minutes
-- (catalog.snapshot with changed_since): a price, a name or a stock changed in Bitrix's admin
-- reaches the CRM within minutes, not at the next night. Such a load never hides anything.

alter table public.catalog_runs drop constraint catalog_runs_trigger_check;
alter table public.catalog_runs add constraint catalog_runs_trigger_check
  check (trigger in ('first', 'nightly', 'on_demand', 'changes'));

drop function public.catalog_run_due(integer);

-- Why a load is due now: {trigger: 'first'} when no whole load ever finished, {trigger:
-- 'nightly'} when the last whole one is older than p_daily_seconds, {trigger: 'changes', since}
-- when no load started for p_changes_seconds (since: the newest finished load's start less
-- p_overlap_seconds); null while a load runs (or one failed within 10 minutes) or none is due.
create function public.catalog_run_due(p_daily_seconds integer, p_changes_seconds integer, p_overlap_seconds integer)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with whole as (
    select max(r.finished_at) as finished from public.catalog_runs r where r.complete and r.trigger <> 'changes'
  ), newest as (
    select max(r.started_at) as started,
           max(r.started_at) filter (where r.finished_at is not null and r.outcome ->> 'error' is null) as done
    from public.catalog_runs r
  )
  select case
    when exists (select 1 from public.catalog_runs r
                 where r.started_at > now() - interval '10 minutes'
                   and (r.finished_at is null or r.outcome ->> 'error' is not null)) then null
    when whole.finished is null then jsonb_build_object('trigger', 'first')
    when whole.finished < now() - make_interval(secs => p_daily_seconds) then jsonb_build_object('trigger', 'nightly')
    when newest.started < now() - make_interval(secs => p_changes_seconds) then
      jsonb_build_object('trigger', 'changes', 'since', newest.done - make_interval(secs => p_overlap_seconds))
  end
  from whole, newest
$$;

select public.grant_to_service_role_only(array['catalog_run_due(integer,integer,integer)']);
