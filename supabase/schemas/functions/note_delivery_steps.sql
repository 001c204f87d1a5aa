-- The live function note_delivery_steps, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.note_delivery_steps() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  if new.status = 'delivering' and new.delivering_at is null then
    new.delivering_at := now();
  end if;
  if new.status in ('completed', 'finished') and new.delivered_at is null then
    new.delivered_at := now();
  end if;
  return new;
end
$$;

REVOKE ALL ON FUNCTION public.note_delivery_steps() FROM PUBLIC;
GRANT ALL ON FUNCTION public.note_delivery_steps() TO service_role;
