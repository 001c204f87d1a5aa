-- The live table pay_systems, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.pay_systems (
    bitrix_pay_system_id bigint NOT NULL,
    name text NOT NULL
);

COMMENT ON TABLE public.pay_systems IS 'Bitrix pay systems (reference.snapshot)';

ALTER TABLE ONLY public.pay_systems
    ADD CONSTRAINT pay_systems_pkey PRIMARY KEY (bitrix_pay_system_id);

ALTER TABLE public.pay_systems ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.pay_systems TO service_role;
