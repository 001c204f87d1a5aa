-- The live table orders, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.orders (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    origin text DEFAULT 'bitrix'::text NOT NULL,
    bitrix_order_id bigint,
    crm_request_key text,
    order_number text,
    status text DEFAULT 'new'::text NOT NULL,
    status_raw text,
    bitrix_user_id bigint,
    total_amount numeric,
    delivery_fee numeric,
    currency text,
    customer_comment text,
    recipient_name text,
    recipient_phone text,
    delivery_address text,
    postcard_text text,
    delivery_date date,
    bitrix_city_id bigint,
    delivery_time_id bigint,
    bitrix_shop_id bigint,
    bitrix_created_at timestamp with time zone,
    bitrix_updated_at timestamp with time zone,
    details_known boolean DEFAULT true NOT NULL,
    status_echoes text[] DEFAULT '{}'::text[] NOT NULL,
    status_echoes_until timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    paid boolean,
    sum_paid numeric(12,2),
    pay_system_id bigint,
    pay_system_name text,
    loaded_from_bitrix_at timestamp with time zone,
    courier_id uuid,
    bouquet_photo jsonb,
    assembled_at timestamp with time zone,
    handover_photo jsonb,
    delivering_at timestamp with time zone,
    delivered_at timestamp with time zone,
    CONSTRAINT orders_delivery_fee_check CHECK (((delivery_fee >= (0)::numeric) AND (scale(delivery_fee) <= 4))),
    CONSTRAINT orders_origin_check CHECK ((origin = ANY (ARRAY['bitrix'::text, 'crm'::text]))),
    CONSTRAINT orders_total_amount_check CHECK (((total_amount >= (0)::numeric) AND (scale(total_amount) <= 4)))
);

COMMENT ON COLUMN public.orders.paid IS 'Bitrix PAYED (Y/N); null while Bitrix never said';

COMMENT ON COLUMN public.orders.loaded_from_bitrix_at IS 'Set when an old order was stored silently (a backfill or a resend)';

COMMENT ON COLUMN public.orders.bouquet_photo IS 'The bouquet''s photo in R2: {key, content_type, size, at, by}';

COMMENT ON COLUMN public.orders.assembled_at IS 'When the florist marked the bouquet «Собран» (with its photo)';

COMMENT ON COLUMN public.orders.handover_photo IS 'The courier''s photo of the handover in R2: {key, content_type, size, at, by}';

COMMENT ON COLUMN public.orders.delivering_at IS 'When the order first became «Доставляется» (the buyer''s «В пути»)';

COMMENT ON COLUMN public.orders.delivered_at IS 'When the order first became «Доставлен» or «Завершён»';

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_bitrix_order_id_key UNIQUE (bitrix_order_id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_crm_request_key_key UNIQUE (crm_request_key);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

CREATE INDEX orders_bitrix_user_id_idx ON public.orders USING btree (bitrix_user_id);

CREATE INDEX orders_courier_idx ON public.orders USING btree (courier_id, delivery_date) WHERE (courier_id IS NOT NULL);

CREATE INDEX orders_created_at_idx ON public.orders USING btree (created_at DESC);

CREATE INDEX orders_delivery_date_idx ON public.orders USING btree (delivery_date);

CREATE INDEX orders_delivery_slot_idx ON public.orders USING btree (delivery_date, delivery_time_id);

CREATE INDEX orders_loaded_from_bitrix_idx ON public.orders USING btree (loaded_from_bitrix_at) WHERE (loaded_from_bitrix_at IS NOT NULL);

CREATE INDEX orders_status_idx ON public.orders USING btree (status);

ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.orders TO service_role;

-- after every table and function: its foreign keys and triggers

CREATE TRIGGER orders_delivery_steps BEFORE INSERT OR UPDATE OF status ON public.orders FOR EACH ROW EXECUTE FUNCTION public.note_delivery_steps();

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_courier_id_fkey FOREIGN KEY (courier_id) REFERENCES public.staff(id) ON DELETE SET NULL;
