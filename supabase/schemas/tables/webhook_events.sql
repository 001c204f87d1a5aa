-- The live table webhook_events, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.webhook_events (
    id bigint NOT NULL,
    event_key text NOT NULL,
    event_type text NOT NULL,
    bitrix_order_id bigint NOT NULL,
    order_id uuid,
    changed_at timestamp with time zone,
    outcome text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_events_outcome_check CHECK ((outcome = ANY (ARRAY['pending'::text, 'created'::text, 'updated'::text, 'unchanged'::text, 'stale'::text])))
);

ALTER TABLE public.webhook_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.webhook_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.webhook_events
    ADD CONSTRAINT webhook_events_event_key_key UNIQUE (event_key);

ALTER TABLE ONLY public.webhook_events
    ADD CONSTRAINT webhook_events_pkey PRIMARY KEY (id);

CREATE INDEX webhook_events_bitrix_order_id_idx ON public.webhook_events USING btree (bitrix_order_id);

ALTER TABLE public.webhook_events ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.webhook_events TO service_role;

GRANT ALL ON SEQUENCE public.webhook_events_id_seq TO service_role;

-- after every table and function: its foreign keys and triggers

ALTER TABLE ONLY public.webhook_events
    ADD CONSTRAINT webhook_events_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE SET NULL;
