-- The live table staff_login_failures, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.staff_login_failures (
    id bigint NOT NULL,
    login text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    network text DEFAULT 'unknown'::text NOT NULL,
    CONSTRAINT staff_login_failures_login_length CHECK ((length(login) <= 64)),
    CONSTRAINT staff_login_failures_network_check CHECK ((length(network) <= 64))
);

ALTER TABLE public.staff_login_failures ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.staff_login_failures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.staff_login_failures
    ADD CONSTRAINT staff_login_failures_pkey PRIMARY KEY (id);

CREATE INDEX staff_login_failures_at_idx ON public.staff_login_failures USING btree (at);

CREATE INDEX staff_login_failures_login_idx ON public.staff_login_failures USING btree (login, at DESC);

CREATE INDEX staff_login_failures_network_idx ON public.staff_login_failures USING btree (network, at DESC);

ALTER TABLE public.staff_login_failures ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.staff_login_failures TO service_role;

GRANT ALL ON SEQUENCE public.staff_login_failures_id_seq TO service_role;
