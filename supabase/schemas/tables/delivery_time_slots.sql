-- The live table delivery_time_slots, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.delivery_time_slots (
    bitrix_slot_id bigint NOT NULL,
    label text NOT NULL,
    starts_at time without time zone,
    ends_at time without time zone
);

COMMENT ON TABLE public.delivery_time_slots IS 'Bitrix order property "when" -> delivery time slot';

ALTER TABLE ONLY public.delivery_time_slots
    ADD CONSTRAINT delivery_time_slots_pkey PRIMARY KEY (bitrix_slot_id);

ALTER TABLE public.delivery_time_slots ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.delivery_time_slots TO service_role;
