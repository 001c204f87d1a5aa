-- The live table sync_flows, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.sync_flows (
    flow text NOT NULL
);

COMMENT ON TABLE public.sync_flows IS 'The kinds of job in sync_jobs (src/core/jobs.rs Flow)';

ALTER TABLE ONLY public.sync_flows
    ADD CONSTRAINT sync_flows_pkey PRIMARY KEY (flow);

ALTER TABLE public.sync_flows ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.sync_flows TO service_role;
