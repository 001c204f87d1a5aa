-- The live table reconciliations, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.reconciliations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    trigger text NOT NULL,
    day date NOT NULL,
    period_from date NOT NULL,
    period_to date NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    bitrix_orders integer,
    busy integer,
    missing integer,
    other_status integer,
    other_total integer,
    resent integer,
    truncated boolean DEFAULT false NOT NULL,
    error text,
    differences jsonb DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT reconciliations_check CHECK ((period_from <= period_to)),
    CONSTRAINT reconciliations_trigger_check CHECK ((trigger = ANY (ARRAY['scheduled'::text, 'on_demand'::text])))
);

ALTER TABLE ONLY public.reconciliations
    ADD CONSTRAINT reconciliations_pkey PRIMARY KEY (id);

CREATE INDEX reconciliations_started_idx ON public.reconciliations USING btree (started_at DESC);

ALTER TABLE public.reconciliations ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.reconciliations TO service_role;
