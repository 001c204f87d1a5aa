-- The live table track_links, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.track_links (
    token text NOT NULL,
    order_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT track_links_token_check CHECK (((length(token) = 43) AND (token ~ '^[A-Za-z0-9_-]+$'::text)))
);

ALTER TABLE ONLY public.track_links
    ADD CONSTRAINT track_links_pkey PRIMARY KEY (token);

CREATE UNIQUE INDEX track_links_live_idx ON public.track_links USING btree (order_id) WHERE (revoked_at IS NULL);

ALTER TABLE public.track_links ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.track_links TO service_role;

-- after every table and function: its foreign keys and triggers

ALTER TABLE ONLY public.track_links
    ADD CONSTRAINT track_links_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;
