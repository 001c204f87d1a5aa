-- The live table kit_outbox_reports, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.kit_outbox_reports (
    id smallint DEFAULT 1 NOT NULL,
    reported_at timestamp with time zone NOT NULL,
    report jsonb NOT NULL,
    CONSTRAINT kit_outbox_reports_id_check CHECK ((id = 1))
);

ALTER TABLE ONLY public.kit_outbox_reports
    ADD CONSTRAINT kit_outbox_reports_pkey PRIMARY KEY (id);

ALTER TABLE public.kit_outbox_reports ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.kit_outbox_reports TO service_role;
