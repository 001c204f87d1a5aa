-- The live table shops, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.shops (
    bitrix_shop_id bigint NOT NULL,
    name text NOT NULL
);

COMMENT ON TABLE public.shops IS 'Bitrix order property "shopId" -> shop';

ALTER TABLE ONLY public.shops
    ADD CONSTRAINT shops_pkey PRIMARY KEY (bitrix_shop_id);

ALTER TABLE public.shops ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.shops TO service_role;
