-- The live function add_job, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.add_job(p_template jsonb, p_values jsonb) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $_$
declare
  v_key text := p_template ->> 'key';
  v_payload jsonb := '{}'::jsonb;
  v_name text;
  v_value jsonb;
begin
  if p_template is null or v_key is null or p_template ->> 'flow' is null then
    raise exception 'add_job: no job template (the Worker sends one for each job it may cause)';
  end if;
  for v_name in select jsonb_object_keys(p_values) loop
    v_key := replace(v_key, '{' || v_name || '}', p_values ->> v_name);
  end loop;
  for v_name, v_value in select e.key, e.value from jsonb_each(coalesce(p_template -> 'payload', '{}'::jsonb)) e loop
    if jsonb_typeof(v_value) = 'string' and (v_value #>> '{}') ~ '^\{[a-z_]+\}$' then
      v_value := p_values -> substr(v_value #>> '{}', 2, length(v_value #>> '{}') - 2);
    end if;
    v_payload := v_payload || jsonb_build_object(v_name, v_value);
  end loop;
  return public.add_sync_job(p_template ->> 'flow', v_key, v_payload);
end
$_$;

REVOKE ALL ON FUNCTION public.add_job(p_template jsonb, p_values jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.add_job(p_template jsonb, p_values jsonb) TO service_role;
