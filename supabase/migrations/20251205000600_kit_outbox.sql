-- Issue 18 (part): the Bitrix kit's agent reports its own outbox to the Worker every run
-- (POST /webhooks/bitrix/outbox, signed like a webhook): what waits on the shop's side, what is
-- dead there, and the newest dead events. One row, the newest report; /api/sync/status and
-- /crm/sync show it beside the Worker's flows, and say when it has gone stale.

create table public.kit_outbox_reports (
  id smallint primary key default 1 check (id = 1),
  reported_at timestamptz not null,
  report jsonb not null
);
alter table public.kit_outbox_reports enable row level security;
grant select, insert, update, delete on public.kit_outbox_reports to service_role;

create or replace function public.record_kit_outbox(p_report jsonb) returns void
language sql
set search_path = ''
as $$
  insert into public.kit_outbox_reports (id, reported_at, report) values (1, now(), p_report)
  on conflict (id) do update set reported_at = excluded.reported_at, report = excluded.report
$$;

-- The newest report with when it arrived, or null before the first.
create or replace function public.kit_outbox() returns jsonb
language sql stable
set search_path = ''
as $$
  select r.report || jsonb_build_object('reported_at', r.reported_at) from public.kit_outbox_reports r where r.id = 1
$$;

create or replace function public.sync_page(p_limit integer) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('flows', public.sync_status(), 'dead_letters', public.dead_letters(p_limit),
                            'reconciliation', public.reconciliation_view(null, false),
                            'catalog', public.catalog_status(),
                            'reference', (select jsonb_build_object('at', r.at, 'trigger', r.trigger, 'outcome', r.outcome,
                                                                    'error', r.error)
                                          from public.reference_refreshes r order by r.at desc limit 1),
                            'kit_outbox', public.kit_outbox())
$$;

select public.grant_to_service_role_only(array['record_kit_outbox(jsonb)', 'kit_outbox()']);
