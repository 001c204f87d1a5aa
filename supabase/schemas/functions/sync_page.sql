-- The live function sync_page, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.sync_page(p_limit integer) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('flows', public.sync_status(), 'dead_letters', public.dead_letters(p_limit),
                            'reconciliation', public.reconciliation_view(null, false),
                            'catalog', public.catalog_status(),
                            'reference', (select jsonb_build_object('at', r.at, 'trigger', r.trigger, 'outcome', r.outcome,
                                                                    'error', r.error)
                                          from public.reference_refreshes r order by r.at desc limit 1),
                            'kit_outbox', public.kit_outbox())
$$;

REVOKE ALL ON FUNCTION public.sync_page(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.sync_page(p_limit integer) TO service_role;
