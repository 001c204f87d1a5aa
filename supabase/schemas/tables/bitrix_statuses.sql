-- The live table bitrix_statuses, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.bitrix_statuses (
    code text NOT NULL,
    name text NOT NULL,
    CONSTRAINT bitrix_statuses_code_check CHECK (((length(code) >= 1) AND (length(code) <= 2)))
);

COMMENT ON TABLE public.bitrix_statuses IS 'Bitrix order statuses with their names in Bitrix (reference.snapshot)';

ALTER TABLE ONLY public.bitrix_statuses
    ADD CONSTRAINT bitrix_statuses_pkey PRIMARY KEY (code);

ALTER TABLE public.bitrix_statuses ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.bitrix_statuses TO service_role;
