-- The live function grant_to_service_role_only, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.grant_to_service_role_only(p_functions text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare f text;
begin
  foreach f in array p_functions
  loop
    execute format('revoke all on function public.%s from public, anon, authenticated', f);
    execute format('grant execute on function public.%s to service_role', f);
  end loop;
end
$$;

REVOKE ALL ON FUNCTION public.grant_to_service_role_only(p_functions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.grant_to_service_role_only(p_functions text[]) TO service_role;
