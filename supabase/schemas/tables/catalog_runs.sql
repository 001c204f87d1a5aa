-- The live table catalog_runs, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.catalog_runs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    trigger text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    complete boolean DEFAULT false NOT NULL,
    outcome jsonb,
    CONSTRAINT catalog_runs_trigger_check CHECK ((trigger = ANY (ARRAY['first'::text, 'nightly'::text, 'on_demand'::text, 'changes'::text])))
);

COMMENT ON TABLE public.catalog_runs IS 'Each load of the catalogue from Bitrix: what it found and changed';

ALTER TABLE ONLY public.catalog_runs
    ADD CONSTRAINT catalog_runs_pkey PRIMARY KEY (id);

CREATE INDEX catalog_runs_started_idx ON public.catalog_runs USING btree (started_at DESC);

ALTER TABLE public.catalog_runs ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.catalog_runs TO service_role;
