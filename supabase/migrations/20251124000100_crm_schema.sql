-- The CRM's tables. Natural keys from Bitrix are unique so that a repeated webhook can never
-- make a second row; money and quantities are exact numerics (at most 4 decimals, as in Bitrix).

create table public.cities (
  bitrix_city_id bigint primary key,
  name text not null
);
comment on table public.cities is 'Bitrix order property "city" -> city name';

create table public.delivery_time_slots (
  bitrix_slot_id bigint primary key,
  label text not null,
  starts_at time,
  ends_at time
);
comment on table public.delivery_time_slots is 'Bitrix order property "when" -> delivery time slot';

create table public.shops (
  bitrix_shop_id bigint primary key,
  name text not null
);
comment on table public.shops is 'Bitrix order property "shopId" -> shop';

create table public.users (
  id uuid primary key default gen_random_uuid(),
  bitrix_user_id bigint not null unique,
  first_name text,
  last_name text,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.products (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  price numeric check (price >= 0 and scale(price) <= 4),
  -- metadata.properties: IN_STOCK ("158" in stock / "159" out of stock), bitrix_id, ru_url
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index products_bitrix_id_key on public.products ((metadata -> 'properties' ->> 'bitrix_id'));

create table public.orders (
  id uuid primary key default gen_random_uuid(),
  -- Where the order was born: a Bitrix webhook or the CRM itself (reverse sync).
  origin text not null default 'bitrix' check (origin in ('bitrix', 'crm')),
  bitrix_order_id bigint unique,
  -- The Idempotency-Key of the CRM API call that created the order: a retried POST finds it.
  crm_request_key text unique,
  order_number text,
  status text not null default 'new',
  status_raw text,
  bitrix_user_id bigint,
  total_amount numeric check (total_amount >= 0 and scale(total_amount) <= 4),
  delivery_fee numeric check (delivery_fee >= 0 and scale(delivery_fee) <= 4),
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
  bitrix_created_at timestamptz,
  -- DATE_UPDATE of the newest event applied: an older event is stale.
  bitrix_updated_at timestamptz,
  -- False while the order is known only from a status change that overtook its order.create.
  details_known boolean not null default true,
  -- Bitrix status codes the CRM sent to Bitrix whose webhook echo has not come back yet: an
  -- echo is recognised here and changes nothing (no loop, no second notification).
  status_echoes text[] not null default '{}',
  -- Echoes are expected for a day after the CRM's last change (Bitrix sync retries for ~21 h);
  -- after that a code in status_echoes no longer hides a real change made in Bitrix.
  status_echoes_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_status_idx on public.orders (status);
create index orders_delivery_date_idx on public.orders (delivery_date);
create index orders_created_at_idx on public.orders (created_at desc);
create index orders_bitrix_user_id_idx on public.orders (bitrix_user_id);

create table public.order_items (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references public.orders (id) on delete cascade,
  bitrix_basket_id bigint,
  bitrix_product_id bigint,
  product_id uuid references public.products (id) on delete set null,
  -- name and currency as they were when ordered (price history)
  product_snapshot jsonb not null default '{}'::jsonb,
  price numeric not null check (price >= 0 and scale(price) <= 4),
  quantity numeric not null check (quantity >= 0 and scale(quantity) <= 4),
  created_at timestamptz not null default now(),
  unique (order_id, bitrix_basket_id)
);

-- Every webhook event accepted, once per identity (event_key = SHA-256 of event + data).
create table public.webhook_events (
  id bigint generated always as identity primary key,
  event_key text not null unique,
  event_type text not null,
  bitrix_order_id bigint not null,
  order_id uuid references public.orders (id) on delete set null,
  changed_at timestamptz,
  outcome text not null check (outcome in ('pending', 'created', 'updated', 'unchanged', 'stale')),
  payload jsonb not null,
  received_at timestamptz not null default now()
);
create index webhook_events_bitrix_order_id_idx on public.webhook_events (bitrix_order_id);

-- Only the service role (the Worker) reads and writes; RLS with no policy shuts out the rest.
do $$
declare t text;
begin
  foreach t in array array['cities', 'delivery_time_slots', 'shops', 'users', 'products', 'orders',
                           'order_items', 'webhook_events']
  loop
    execute format('alter table public.%I enable row level security', t);
    execute format('grant select, insert, update, delete on public.%I to service_role', t);
  end loop;
end
$$;
grant usage, select on all sequences in schema public to service_role;
