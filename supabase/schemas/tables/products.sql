-- The live table products, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.products (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    price numeric,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT products_price_check CHECK (((price >= (0)::numeric) AND (scale(price) <= 4)))
);

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX products_bitrix_id_key ON public.products USING btree ((((metadata -> 'properties'::text) ->> 'bitrix_id'::text)));

ALTER TABLE public.products ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.products TO service_role;
