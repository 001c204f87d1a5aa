-- A correlation id on every job: the id of the request that caused it (a webhook's event key,
-- a CRM call's Idempotency-Key or a fresh id), which the Worker sends to PostgREST as
-- `X-Correlation-Id` (src/edge/store.rs) and PostgREST hands to SQL in `request.headers`. The
-- Worker writes it on every log line of the request and of the job's attempts, so one grep
-- follows an order from its webhook to its Telegram message. No function that adds jobs needs
-- to know: the trigger reads it as the row is inserted.

alter table public.sync_jobs add column correlation_id text check (length(correlation_id) <= 128);
create index sync_jobs_correlation_idx on public.sync_jobs (correlation_id) where correlation_id is not null;

create function public.sync_jobs_correlation()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.correlation_id is null then
    new.correlation_id := left(nullif(nullif(current_setting('request.headers', true), '')::jsonb
                                      ->> 'x-correlation-id', ''), 128);
  end if;
  return new;
end
$$;
revoke all on function public.sync_jobs_correlation() from public, anon, authenticated;

create trigger sync_jobs_correlation before insert on public.sync_jobs
for each row execute function public.sync_jobs_correlation();
