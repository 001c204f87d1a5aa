-- The live table crm_changes, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.crm_changes (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    staff_id uuid,
    actor text NOT NULL,
    order_id uuid,
    product_id uuid,
    job_id uuid,
    kind text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    subject_staff_id uuid,
    CONSTRAINT crm_changes_kind_check CHECK ((kind = ANY (ARRAY['order_created'::text, 'status_set'::text, 'availability_set'::text, 'dead_letter_replayed'::text, 'courier_set'::text, 'photo_attached'::text, 'handover_photo'::text, 'order_edited'::text, 'track_link_made'::text, 'track_link_revoked'::text, 'staff_added'::text, 'staff_disabled'::text, 'staff_enabled'::text, 'staff_password_reset'::text, 'staff_unlocked'::text, 'staff_role_set'::text])))
);

ALTER TABLE public.crm_changes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.crm_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.crm_changes
    ADD CONSTRAINT crm_changes_pkey PRIMARY KEY (id);

CREATE INDEX crm_changes_order_idx ON public.crm_changes USING btree (order_id, at);

CREATE INDEX crm_changes_product_idx ON public.crm_changes USING btree (product_id, at);

CREATE INDEX crm_changes_subject_idx ON public.crm_changes USING btree (subject_staff_id, at) WHERE (subject_staff_id IS NOT NULL);

ALTER TABLE public.crm_changes ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.crm_changes TO service_role;

GRANT ALL ON SEQUENCE public.crm_changes_id_seq TO service_role;

-- after every table and function: its foreign keys and triggers

ALTER TABLE ONLY public.crm_changes
    ADD CONSTRAINT crm_changes_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.sync_jobs(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.crm_changes
    ADD CONSTRAINT crm_changes_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.crm_changes
    ADD CONSTRAINT crm_changes_product_id_fkey FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.crm_changes
    ADD CONSTRAINT crm_changes_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES public.staff(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.crm_changes
    ADD CONSTRAINT crm_changes_subject_staff_id_fkey FOREIGN KEY (subject_staff_id) REFERENCES public.staff(id) ON DELETE SET NULL;
