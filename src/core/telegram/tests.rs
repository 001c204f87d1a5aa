use super::*;

fn card() -> OrderCard {
    OrderCard {
        order_id: "0b6f3c1e-0000-4000-8000-000000000001".into(),
        bitrix_order_id: Some(122_183),
        order_number: Some("122183".into()),
        origin: "bitrix".into(),
        status: "new".into(),
        total_amount: Some("16500.00".into()),
        delivery_fee: Some("1500.00".into()),
        currency: Some("KZT".into()),
        recipient_name: Some("Айгерим Садыкова".into()),
        recipient_phone: Some("+77015551234".into()),
        delivery_address: Some("Алматы, пр. Абая 10, кв. 5".into()),
        postcard_text: Some("С днём рождения! <b>&</b> 🌷".into()),
        delivery_date: Some("2025-08-25".into()),
        delivery_slot: Some("15:00-16:00".into()),
        city: Some("Алматы".into()),
        shop: Some("CVETYKZ".into()),
        items: vec![CardItem {
            name: Some("Букет Стандарт".into()),
            price: "7500.00".into(),
            quantity: "1".into(),
            bitrix_product_id: Some(15652),
        }],
        customer_comment: None,
        delivery_time_id: Some(18),
        bitrix_city_id: Some(2),
        bitrix_shop_id: Some(17008),
    }
}

#[test]
fn a_new_order_message_holds_every_part_the_shop_needs() {
    let text = render(&card(), Occasion::NewOrder);
    for part in [
        "Новый заказ №122183",
        "16500.00 ₸",
        "Айгерим Садыкова",
        "+77015551234",
        "Алматы, пр. Абая 10, кв. 5",
        "Букет Стандарт — 7500.00 ₸ × 1",
        "2025-08-25",
        "15:00-16:00",
        "Город: Алматы",
        "Магазин: CVETYKZ",
        "Стоимость доставки: 1500.00 ₸",
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
    changed.status = "delivering".into();
    let text = render(&changed, Occasion::StatusChanged(CrmStatus::Delivering));
    assert!(text.starts_with("🔄 <b>Заказ №122183: статус «Доставляется»</b>"), "{text}");
}

#[test]
fn missing_values_show_as_a_dash() {
    let mut sparse = card();
    sparse.recipient_phone = None;
    sparse.delivery_slot = Some("  ".into());
    let text = render(&sparse, Occasion::NewOrder);
    assert!(text.contains("Телефон: —") && text.contains("Время: —"), "{text}");
}

#[test]
fn a_huge_basket_is_shortened_with_a_note_and_stays_within_the_limit() {
    let mut big = card();
    big.items = (0..400)
        .map(|n| CardItem {
            name: Some(format!("Роза «Эквадор» №{n} <красная>")),
            price: "1500.00".into(),
            quantity: "1".into(),
            bitrix_product_id: None,
        })
        .collect();
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
