-- Demo data for `make dev` (never applied in production, nor in the test stack).
-- Idempotent: running it again changes nothing.
insert into public.products (name, price, metadata) values
  ('Букет Стандарт', 7500, '{"properties": {"bitrix_id": "15652", "IN_STOCK": "158", "ru_url": "buket-standart"}}'),
  ('Коробка конфет Рахат', 7500, '{"properties": {"bitrix_id": "20117", "IN_STOCK": "158", "ru_url": "korobka-konfet-rakhat"}}'),
  ('101 роза', 89000, '{"properties": {"bitrix_id": "30001", "IN_STOCK": "159", "ru_url": "101-roza"}}')
on conflict ((metadata -> 'properties' ->> 'bitrix_id')) do nothing;

insert into public.orders (bitrix_order_id, order_number, status, status_raw, total_amount, delivery_fee,
                           currency, recipient_name, recipient_phone, delivery_address, postcard_text,
                           delivery_date, bitrix_city_id, delivery_time_id, bitrix_shop_id)
values (100001, '100001', 'accepted', 'AP', 9000.00, 1500.00, 'KZT', 'Демо Получатель', '+77010000000',
        'Алматы, ул. Демо 1', 'Демо открытка', current_date + 1, 2, 18, 17008)
on conflict (bitrix_order_id) do nothing;
