-- The live table delivery_services, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.delivery_services (
    bitrix_delivery_id bigint NOT NULL,
    name text NOT NULL
);

COMMENT ON TABLE public.delivery_services IS 'Bitrix delivery services (reference.snapshot)';

ALTER TABLE ONLY public.delivery_services
    ADD CONSTRAINT delivery_services_pkey PRIMARY KEY (bitrix_delivery_id);

ALTER TABLE public.delivery_services ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.delivery_services TO service_role;
