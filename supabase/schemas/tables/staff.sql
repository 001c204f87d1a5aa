-- The live table staff, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE TABLE public.staff (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    login text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    role text NOT NULL,
    password_set_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT staff_login_check CHECK (((login = lower(login)) AND ((length(login) >= 1) AND (length(login) <= 64)))),
    CONSTRAINT staff_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT staff_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'manager'::text, 'florist'::text, 'courier'::text])))
);

ALTER TABLE ONLY public.staff
    ADD CONSTRAINT staff_login_key UNIQUE (login);

ALTER TABLE ONLY public.staff
    ADD CONSTRAINT staff_pkey PRIMARY KEY (id);

ALTER TABLE public.staff ENABLE ROW LEVEL SECURITY;

GRANT ALL ON TABLE public.staff TO service_role;
