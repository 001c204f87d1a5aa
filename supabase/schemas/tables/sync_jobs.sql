-- The live table sync_jobs, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.sync_jobs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    flow text NOT NULL,
    idempotency_key text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    result jsonb,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    locked_until timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    done_at timestamp with time zone,
    correlation_id text,
    CONSTRAINT sync_jobs_correlation_id_check CHECK ((length(correlation_id) <= 128)),
    CONSTRAINT sync_jobs_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'retrying'::text, 'running'::text, 'done'::text, 'skipped'::text, 'dead'::text])))
);

ALTER TABLE ONLY public.sync_jobs
    ADD CONSTRAINT sync_jobs_idempotency_key_key UNIQUE (idempotency_key);

ALTER TABLE ONLY public.sync_jobs
    ADD CONSTRAINT sync_jobs_pkey PRIMARY KEY (id);

CREATE INDEX sync_jobs_correlation_idx ON public.sync_jobs USING btree (correlation_id) WHERE (correlation_id IS NOT NULL);

CREATE INDEX sync_jobs_due_idx ON public.sync_jobs USING btree (next_attempt_at) WHERE (status = ANY (ARRAY['pending'::text, 'retrying'::text, 'running'::text]));

CREATE INDEX sync_jobs_flow_status_idx ON public.sync_jobs USING btree (flow, status);

CREATE INDEX sync_jobs_order_idx ON public.sync_jobs USING btree (((payload ->> 'order_id'::text)));

ALTER TABLE public.sync_jobs ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.sync_jobs TO service_role;

-- after every table and function: its foreign keys and triggers

CREATE TRIGGER sync_jobs_correlation BEFORE INSERT ON public.sync_jobs FOR EACH ROW EXECUTE FUNCTION public.sync_jobs_correlation();

ALTER TABLE ONLY public.sync_jobs
    ADD CONSTRAINT sync_jobs_flow_fkey FOREIGN KEY (flow) REFERENCES public.sync_flows(flow);
