-- The live table order_items, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.order_items (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    order_id uuid NOT NULL,
    bitrix_basket_id bigint,
    bitrix_product_id bigint,
    product_id uuid,
    product_snapshot jsonb DEFAULT '{}'::jsonb NOT NULL,
    price numeric NOT NULL,
    quantity numeric NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT order_items_price_check CHECK (((price >= (0)::numeric) AND (scale(price) <= 4))),
    CONSTRAINT order_items_quantity_check CHECK (((quantity >= (0)::numeric) AND (scale(quantity) <= 4)))
);

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_order_id_bitrix_basket_id_key UNIQUE (order_id, bitrix_basket_id);

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_pkey PRIMARY KEY (id);

ALTER TABLE public.order_items ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.order_items TO service_role;

-- after every table and function: its foreign keys and triggers

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE SET NULL;
