use super::*;
use crate::core::status::ALL_CRM_STATUSES;
use crate::core::views::{ItemView, Named, Origin};

pub(crate) fn card() -> OrderView {
    serde_json::from_value(serde_json::json!({
        "id": "0b6f3c1e-0000-4000-8000-000000000001", "origin": "bitrix", "bitrix_order_id": 122183,
        "order_number": "122183", "status": "new", "status_raw": "N",
        "total_amount": "16500.00", "delivery_fee": "1500.00", "currency": "KZT",
        "recipient_name": "Айгерим Садыкова", "recipient_phone": "+77015551234",
        "delivery_address": "Алматы, пр. Абая 10, кв. 5", "postcard_text": "С днём рождения! <b>&</b> 🌷",
        "customer_comment": null, "delivery_date": "2025-08-25",
        "delivery_slot": {"id": 18, "name": "15:00-16:00"}, "city": {"id": 2, "name": "Алматы"},
        "shop": {"id": 17008, "name": "CVETYKZ"}, "details_known": true,
        "items": [item("Букет Стандарт")],
        "created_at": "2025-08-24T08:05:11+00:00", "updated_at": "2025-08-24T08:05:11+00:00"
    }))
    .unwrap()
}

fn item(name: &str) -> serde_json::Value {
    serde_json::json!({"id": "0b6f3c1e-0000-4000-8000-000000000002", "bitrix_basket_id": 900311,
        "bitrix_product_id": 15652, "product_id": null, "name": name, "currency": "KZT",
        "price": "7500.00", "quantity": "1"})
}

fn item_named(name: &str) -> ItemView {
    serde_json::from_value(item(name)).unwrap()
}

#[test]
fn a_new_order_message_holds_every_part_the_shop_needs() {
    let text = render(&card(), Occasion::NewOrder);
    for part in [
        "Новый заказ №122183",
        "16\u{a0}500\u{a0}₸",
        "Айгерим Садыкова",
        "+7 (701) 555-12-34",
        "Алматы, пр. Абая 10, кв. 5",
        "Букет Стандарт — 7\u{a0}500\u{a0}₸ × 1",
        "Дата: пн, 25.08.2025",
        "15:00-16:00",
        "Город: Алматы",
        "Магазин: CVETYKZ",
        "Стоимость доставки: 1\u{a0}500\u{a0}₸",
        "Статус: Новый",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
}

#[test]
fn user_text_is_escaped_and_emoji_are_kept() {
    let text = render(&card(), Occasion::NewOrder);
    assert!(text.contains("С днём рождения! &lt;b&gt;&amp;&lt;/b&gt; 🌷"), "{text}");
    assert!(!text.contains("<b>&</b>"));
}

#[test]
fn a_status_change_message_names_the_new_status_in_russian() {
    let mut changed = card();
    changed.status = CrmStatus::Delivering;
    let text = render(&changed, Occasion::StatusChanged(CrmStatus::Delivering));
    assert!(text.starts_with("🔄 <b>Заказ №122183: статус «Доставляется»</b>"), "{text}");
}

#[test]
fn missing_values_show_as_a_dash() {
    let mut sparse = card();
    sparse.recipient_phone = None;
    sparse.delivery_slot = Some(Named { id: 99, name: None });
    let text = render(&sparse, Occasion::NewOrder);
    assert!(text.contains("Телефон: —") && text.contains("Время: —"), "{text}");
}

#[test]
fn a_huge_basket_is_shortened_with_a_note_and_stays_within_the_limit() {
    let mut big = card();
    big.items = (0..400).map(|n| item_named(&format!("Роза «Эквадор» №{n} <красная>"))).collect();
    let text = render(&big, Occasion::NewOrder);
    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    assert!(text.contains("… и ещё "), "{text}");
    assert!(text.contains("Состав (400)"));
    assert!(text.contains("<b>Открытка</b>"), "the end of the message survives");
}

#[test]
fn a_huge_postcard_is_shortened_without_cutting_an_entity_or_a_tag() {
    let mut long = card();
    long.postcard_text = Some("&<😀>".repeat(3000));
    let text = render(&long, Occasion::NewOrder);
    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    assert!(text.ends_with('…'), "{}", &text[text.len() - 40..]);
    let tail = text.rsplit("<b>Открытка</b>: ").next().unwrap();
    let stripped = tail.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "");
    assert!(!stripped.contains('&') && !stripped.contains('<'), "a cut entity or tag: {tail}");
}

#[test]
fn a_five_thousand_character_address_is_cut_with_an_ellipsis_and_the_message_fits() {
    let mut long = card();
    long.delivery_address = Some("Алматы, ".repeat(625));

    let text = render(&long, Occasion::NewOrder);

    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    let address = text.lines().find(|l| l.starts_with("Адрес: ")).unwrap();
    assert!(address.ends_with('…'), "{address}");
    assert!(address.encode_utf16().count() <= "Адрес: ".len() + caps::ADDRESS);
    assert!(text.contains("С днём рождения!"), "the postcard is still there");
    assert!(text.contains("Букет Стандарт"), "the items are still there");
}

#[test]
fn escaping_never_cuts_an_entity_and_stays_within_its_cap() {
    for cap in 0..40 {
        let escaped = escape_capped("a&b<c>d\"e😀f", cap);
        assert!(escaped.encode_utf16().count() <= cap, "{cap}: {escaped}");
        assert_well_formed(&escaped);
    }
    assert_eq!(escape_capped("a&b", 10), "a&amp;b");
    assert_eq!(escape_capped("a&b", 6), "a…", "the entity does not fit whole with the ellipsis");
}

/// The worst card the caps allow: every text field far over its cap, in the widest characters.
fn worst_card(items: usize) -> OrderView {
    let huge = "\"".repeat(20_000);
    let mut card = card();
    card.bitrix_order_id = None;
    card.order_number = Some(huge.clone());
    card.currency = Some(huge.clone());
    card.recipient_name = Some(huge.clone());
    card.recipient_phone = Some(huge.clone());
    card.delivery_address = Some(huge.clone());
    card.postcard_text = Some(huge.clone());
    for named in [&mut card.delivery_slot, &mut card.city, &mut card.shop] {
        *named = Some(Named { id: u64::MAX, name: Some(huge.clone()) });
    }
    let mut line = item_named(&huge);
    line.currency = Some(huge.clone());
    line.price = crate::core::decimal::Money::parse("922337203685477.5807").unwrap();
    line.quantity = crate::core::decimal::Quantity::parse("922337203685477.5807").unwrap();
    card.total_amount = Some(line.price);
    card.delivery_fee = Some(line.price);
    card.items = vec![line; items];
    card
}

#[test]
fn the_caps_leave_room_for_the_postcard_reserve_and_at_least_one_item_in_the_worst_case() {
    let text = render(&worst_card(20), Occasion::NewOrder);

    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    let postcard = text.rsplit("<b>Открытка</b>: ").next().unwrap();
    assert!(postcard.encode_utf16().count() >= POSTCARD_RESERVE - 6, "the postcard kept its reserve");
    assert!(text.contains("\n• "), "at least one item is shown: {text}");
    assert!(text.contains("… и ещё "), "the others are counted");
    assert_well_formed(&text);
}

/// Telegram's HTML as we write it: only `<b>`/`</b>`, balanced and not nested, and `&` only in
/// the four entities we produce.
fn assert_well_formed(text: &str) {
    let mut open = false;
    let mut rest = text;
    while let Some(at) = rest.find(['<', '&']) {
        let tail = &rest[at..];
        let token = ["<b>", "</b>", "&lt;", "&gt;", "&amp;", "&quot;"]
            .into_iter()
            .find(|t| tail.starts_with(t))
            .unwrap_or_else(|| panic!("stray markup at {:?}", &tail[..tail.len().min(20)]));
        match token {
            "<b>" => {
                assert!(!open, "nested <b>");
                open = true;
            }
            "</b>" => {
                assert!(open, "</b> without <b>");
                open = false;
            }
            _ => {}
        }
        rest = &tail[token.len()..];
    }
    assert!(!open, "<b> left open");
}

mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    /// Any Unicode, from empty up to about 100 KiB: a short random piece, repeated.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => ".{0,40}",
            1 => (".{1,16}", 0..6_400_usize).prop_map(|(piece, times)| piece.repeat(times)),
            1 => ("[<>&\"]{1,4}", 0..25_600_usize).prop_map(|(piece, times)| piece.repeat(times)),
        ]
    }

    fn maybe() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(text())
    }

    fn item() -> impl Strategy<Value = ItemView> {
        (maybe(), maybe(), 0_i64..=i64::MAX, 0_i64..=i64::MAX).prop_map(|(name, currency, price, quantity)| {
            let mut line = item_named("-");
            line.name = name;
            line.currency = currency;
            line.price =
                crate::core::decimal::Money::parse(&format!("{}.{:04}", price / 10_000, price % 10_000)).unwrap();
            line.quantity =
                crate::core::decimal::Quantity::parse(&format!("{}.{:04}", quantity / 10_000, quantity % 10_000))
                    .unwrap();
            line
        })
    }

    fn named() -> impl Strategy<Value = Option<Named>> {
        proptest::option::of((any::<u64>(), maybe()).prop_map(|(id, name)| Named { id, name }))
    }

    prop_compose! {
        fn any_card()(
            head in (proptest::option::of(any::<u64>()), maybe(), any::<bool>(), 0..ALL_CRM_STATUSES.len()),
            currency in maybe(),
            recipient in (maybe(), maybe(), maybe(), maybe()),
            delivery in (named(), named(), named()),
            items in proptest::collection::vec(item(), 0..500),
        ) -> OrderView {
            let mut card = card();
            card.bitrix_order_id = head.0;
            card.order_number = head.1;
            card.origin = if head.2 { Origin::Crm } else { Origin::Bitrix };
            card.status = ALL_CRM_STATUSES[head.3];
            card.currency = currency;
            (card.recipient_name, card.recipient_phone, card.delivery_address, card.postcard_text) = recipient;
            (card.delivery_slot, card.city, card.shop) = delivery;
            card.items = items;
            card
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn any_card_renders_within_the_limit_with_balanced_markup(card in any_card(), new in any::<bool>()) {
            let occasion = if new { Occasion::NewOrder } else { Occasion::StatusChanged(CrmStatus::Delivering) };
            let text = render(&card, occasion);
            prop_assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS, "{} units", text.encode_utf16().count());
            assert_well_formed(&text);
            let shown = text.matches("\n• ").count();
            prop_assert!(shown <= card.items.len());
            if shown < card.items.len() {
                let note = format!("… и ещё {} поз.", card.items.len() - shown);
                prop_assert!(text.contains(&note), "missing {note:?}");
            }
        }
    }
}
