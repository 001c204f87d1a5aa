-- Issue 17: /crm/sync shows the newest catalogue load and reference refresh beside the
-- reconciliation.

create or replace function public.sync_page(p_limit integer) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('flows', public.sync_status(), 'dead_letters', public.dead_letters(p_limit),
                            'reconciliation', public.reconciliation_view(null, false),
                            'catalog', public.catalog_status(),
                            'reference', (select jsonb_build_object('at', r.at, 'trigger', r.trigger, 'outcome', r.outcome,
                                                                    'error', r.error)
                                          from public.reference_refreshes r order by r.at desc limit 1))
$$;;
