-- The live table cities, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.cities (
    bitrix_city_id bigint NOT NULL,
    name text NOT NULL
);

COMMENT ON TABLE public.cities IS 'Bitrix order property "city" -> city name';

ALTER TABLE ONLY public.cities
    ADD CONSTRAINT cities_pkey PRIMARY KEY (bitrix_city_id);

ALTER TABLE public.cities ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.cities TO service_role;
