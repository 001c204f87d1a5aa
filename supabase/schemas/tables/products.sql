-- The live table products, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.products (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    price numeric,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    active boolean DEFAULT true NOT NULL,
    section_id bigint,
    section_name text,
    picture_url text,
    bitrix_changed_at timestamp with time zone,
    catalog_run uuid,
    CONSTRAINT products_picture_url_check CHECK (((picture_url IS NULL) OR ((picture_url ~~ 'https://%'::text) AND (length(picture_url) <= 1000)))),
    CONSTRAINT products_price_check CHECK (((price >= (0)::numeric) AND (scale(price) <= 4)))
);

COMMENT ON COLUMN public.products.active IS 'False: gone from the catalogue or deactivated in Bitrix (hidden, kept for old orders)';

COMMENT ON COLUMN public.products.catalog_run IS 'The newest catalogue load that named the product';

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX products_bitrix_id_key ON public.products USING btree ((((metadata -> 'properties'::text) ->> 'bitrix_id'::text)));

CREATE INDEX products_section_idx ON public.products USING btree (section_id) WHERE (section_id IS NOT NULL);

ALTER TABLE public.products ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.products TO service_role;
