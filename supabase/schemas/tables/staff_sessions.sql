-- The live table staff_sessions, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.staff_sessions (
    id text NOT NULL,
    staff_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    network text,
    CONSTRAINT staff_sessions_network_check CHECK ((length(network) <= 64))
);

ALTER TABLE ONLY public.staff_sessions
    ADD CONSTRAINT staff_sessions_pkey PRIMARY KEY (id);

CREATE INDEX staff_sessions_network_idx ON public.staff_sessions USING btree (staff_id, network, created_at DESC);

CREATE INDEX staff_sessions_staff_idx ON public.staff_sessions USING btree (staff_id);

ALTER TABLE public.staff_sessions ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.staff_sessions TO service_role;

-- after every table and function: its foreign keys and triggers

ALTER TABLE ONLY public.staff_sessions
    ADD CONSTRAINT staff_sessions_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES public.staff(id) ON DELETE CASCADE;
