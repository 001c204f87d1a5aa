-- The live table reference_refreshes, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.reference_refreshes (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    trigger text NOT NULL,
    outcome jsonb,
    error text,
    CONSTRAINT reference_refreshes_trigger_check CHECK ((trigger = ANY (ARRAY['daily'::text, 'unknown_id'::text, 'on_demand'::text])))
);

COMMENT ON TABLE public.reference_refreshes IS 'Each refresh of the reference data: what it stored, or why it failed';

ALTER TABLE public.reference_refreshes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reference_refreshes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.reference_refreshes
    ADD CONSTRAINT reference_refreshes_pkey PRIMARY KEY (id);

CREATE INDEX reference_refreshes_at_idx ON public.reference_refreshes USING btree (at DESC);

ALTER TABLE public.reference_refreshes ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.reference_refreshes TO service_role;

GRANT ALL ON SEQUENCE public.reference_refreshes_id_seq TO service_role;
