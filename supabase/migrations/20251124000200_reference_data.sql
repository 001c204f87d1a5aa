-- What we know of Bitrix's reference ids. Unknown ids are still stored on orders (no foreign
-- key), so a new city or slot in Bitrix never makes an order be refused.
insert into public.cities (bitrix_city_id, name) values (2, 'Алматы')
on conflict (bitrix_city_id) do nothing;

insert into public.delivery_time_slots (bitrix_slot_id, label, starts_at, ends_at)
values (18, '15:00-16:00', '15:00', '16:00')
on conflict (bitrix_slot_id) do nothing;

insert into public.shops (bitrix_shop_id, name) values (17008, 'CVETYKZ')
on conflict (bitrix_shop_id) do nothing;
