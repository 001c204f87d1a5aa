use super::*;
use crate::domain::status::ALL_CRM_STATUSES;
use crate::domain::views::{ItemView, Named, Origin};

const CRM: &str = "https://crm.cvety.kz";

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
    let text = render(&card(), Occasion::NewOrder, CRM);
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
    let text = render(&card(), Occasion::NewOrder, CRM);
    assert!(text.contains("С днём рождения! &lt;b&gt;&amp;&lt;/b&gt; 🌷"), "{text}");
    assert!(!text.contains("<b>&</b>"));
}

#[test]
fn a_status_change_message_names_the_new_status_in_russian() {
    let mut changed = card();
    changed.status = CrmStatus::Delivering;
    let text = render(&changed, Occasion::StatusChanged(CrmStatus::Delivering), CRM);
    assert!(text.starts_with("🔄 <b>Заказ №122183: статус «Доставляется»</b>"), "{text}");
}

#[test]
fn missing_values_show_as_a_dash_and_a_slot_the_crm_does_not_know_yet_by_its_number() {
    let mut sparse = card();
    sparse.recipient_phone = None;
    sparse.delivery_slot = Some(Named { id: 99, name: None });
    let text = render(&sparse, Occasion::NewOrder, CRM);
    assert!(text.contains("Телефон: —") && text.contains("Время: Слот 99 (время уточняется)"), "{text}");
    sparse.delivery_slot = None;
    assert!(render(&sparse, Occasion::NewOrder, CRM).contains("Время: —"));
}

#[test]
fn a_huge_basket_is_shortened_with_a_note_and_stays_within_the_limit() {
    let mut big = card();
    big.items = (0..400).map(|n| item_named(&format!("Роза «Эквадор» №{n} <красная>"))).collect();
    let text = render(&big, Occasion::NewOrder, CRM);
    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    assert!(text.contains("… и ещё "), "{text}");
    assert!(text.contains("Состав (400)"));
    assert!(text.contains("<b>Открытка</b>"), "the end of the message survives");
}

#[test]
fn a_huge_postcard_is_shortened_without_cutting_an_entity_or_a_tag() {
    let mut long = card();
    long.postcard_text = Some("&<😀>".repeat(3000));
    let text = render(&long, Occasion::NewOrder, CRM);
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

    let text = render(&long, Occasion::NewOrder, CRM);

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
    card.customer_comment = Some(huge.clone());
    for named in [&mut card.delivery_slot, &mut card.city, &mut card.shop] {
        *named = Some(Named { id: u64::MAX, name: Some(huge.clone()) });
    }
    let mut line = item_named(&huge);
    line.currency = Some(huge.clone());
    line.price = crate::domain::decimal::Money::parse("922337203685477.5807").unwrap();
    line.quantity = crate::domain::decimal::Quantity::parse("922337203685477.5807").unwrap();
    card.total_amount = Some(line.price);
    card.delivery_fee = Some(line.price);
    card.items = vec![line; items];
    card
}

#[test]
fn the_caps_leave_room_for_the_postcard_reserve_and_at_least_one_item_in_the_worst_case() {
    let text = render(&worst_card(20), Occasion::NewOrder, CRM);

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
                crate::domain::decimal::Money::parse(&format!("{}.{:04}", price / 10_000, price % 10_000)).unwrap();
            line.quantity =
                crate::domain::decimal::Quantity::parse(&format!("{}.{:04}", quantity / 10_000, quantity % 10_000))
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
            let text = render(&card, occasion, CRM);
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

#[test]
fn a_delivery_risk_warning_says_how_long_is_left_who_and_where_with_a_link_to_the_card() {
    let soon =
        render(&card(), Occasion::DeliveryRisk { stage: crate::domain::jobs::RiskStage::Soon, minutes_left: 75 }, CRM);
    assert!(soon.starts_with("⚠️ <b>Заказ №122183: доставка через 1 ч 15 мин</b>"), "{soon}");
    for part in [
        "Время: 15:00-16:00",
        "Статус: Новый, заказ ещё не у курьера",
        "Получатель: Айгерим Садыкова, +7 (701) 555-12-34",
        "Адрес: Алматы, пр. Абая 10, кв. 5",
        "Карточка заказа: https://crm.cvety.kz/crm/orders/0b6f3c1e-0000-4000-8000-000000000001",
    ] {
        assert!(soon.contains(part), "missing {part:?} in {soon}");
    }
    let started =
        render(&card(), Occasion::DeliveryRisk { stage: crate::domain::jobs::RiskStage::Soon, minutes_left: -20 }, CRM);
    assert!(started.contains("время доставки идёт уже 20 мин"), "{started}");
    let over =
        render(&card(), Occasion::DeliveryRisk { stage: crate::domain::jobs::RiskStage::Over, minutes_left: -90 }, CRM);
    assert!(over.starts_with("⏰ <b>Заказ №122183: время доставки прошло</b>"), "{over}");
    assert_well_formed(&over);
}

fn summary(unknown: usize, slots: usize) -> crate::domain::views::DaySummary {
    serde_json::from_value(serde_json::json!({
        "day": "2025-08-25",
        "report": {"day": "2025-08-25", "orders": 12, "revenue": "150000.00", "revenue_orders": 11,
                   "by_status": {"completed": 9, "new": 1, "declined": 1, "delivering": 1},
                   "by_source": {"bitrix": {"orders": 10, "revenue": "120000.00"}, "crm": {"orders": 2, "revenue": "30000"}}},
        "tomorrow": (0..slots).map(|n| serde_json::json!({"slot": {"id": n, "name": format!("{n:02}:00-{:02}:00 <b>", n + 1)}, "orders": 2}))
                    .chain(std::iter::once(serde_json::json!({"slot": null, "orders": 1}))).collect::<Vec<_>>(),
        "unknown_slot_times": (0..unknown).map(|n| serde_json::json!({"id": "00000000-0000-4000-8000-000000000001", "number": format!("{n}")})).collect::<Vec<_>>(),
        "dead": 1, "retrying": 3
    }))
    .unwrap()
}

#[test]
fn the_daily_summary_counts_statuses_revenue_by_source_tomorrows_slots_and_the_syncs_health() {
    let text = render_summary(&summary(2, 2), None);
    for part in [
        "📊 <b>Итоги дня: пн, 25.08.2025</b>",
        "Заказов за день: <b>12</b>",
        "• Новый — 1\n• Доставляется — 1\n• Доставлен — 9\n• Отклонён — 1",
        "Выручка: <b>150\u{a0}000\u{a0}₸</b>",
        "• сайт: 120\u{a0}000\u{a0}₸ (10 зак.)",
        "• CRM: 30\u{a0}000\u{a0}₸ (2 зак.)",
        "Средний чек: 13\u{a0}636,36\u{a0}₸",
        "<b>Завтра, вт, 26.08.2025</b>: доставок 5",
        "• 00:00-01:00 &lt;b&gt; — 2",
        "• время не указано — 1",
        "• №0\n• №1",
        "<b>Синхронизация</b>: не доставлено 1, повторяются 3",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
    assert_well_formed(&text);
}

#[test]
fn a_summary_of_a_day_with_endless_lists_still_fits_one_message() {
    let text = render_summary(&summary(5_000, 500), None);
    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS, "{} units", text.encode_utf16().count());
    assert!(text.contains("… и ещё 4976 заказов") && text.contains("… и ещё 477 слотов"), "{text}");
}

fn reconciliation(
    differences: serde_json::Value,
    error: Option<&str>,
) -> crate::domain::reconciliation::Reconciliation {
    let list = differences.as_array().unwrap();
    let count = |kind: &str| list.iter().filter(|d| d["kind"] == kind).count();
    serde_json::from_value(serde_json::json!({
        "id": "00000000-0000-4000-8000-000000000007", "trigger": "scheduled",
        "period_from": "2026-11-23", "period_to": "2026-11-29",
        "started_at": "2026-11-28T23:00:05+00:00", "finished_at": "2026-11-28T23:00:09+00:00",
        "bitrix_orders": 54, "busy": 0, "missing": count("missing"), "other_status": count("status"),
        "other_total": count("total"), "resent": 3, "truncated": false, "error": error, "differences": differences
    }))
    .unwrap()
}

#[test]
fn a_reconciliations_message_lists_each_kind_of_difference_in_the_staffs_words() {
    let run = reconciliation(
        serde_json::json!([
            {"kind": "missing", "bitrix_order_id": 122190},
            {"kind": "status", "bitrix_order_id": 122183, "bitrix": "AP", "crm": "N"},
            {"kind": "total", "bitrix_order_id": 122184, "bitrix": "9000.00", "crm": "7500.00"},
            {"kind": "status", "bitrix_order_id": 122185, "bitrix": "ZZ", "crm": null}
        ]),
        None,
    );
    let text = render_reconciliation(&run);
    for part in [
        "🔍 <b>Сверка с Bitrix</b>: заказы с 23.11.2026 по 29.11.2026",
        "Заказов в Bitrix: 54; расходятся: <b>4</b>",
        "<b>Нет в CRM</b> (1):\n• №122190",
        "<b>Другой статус</b> (2):\n• №122183: в Bitrix «Принят», в CRM «Новый»\n• №122185: в Bitrix «ZZ», в CRM «—»",
        "<b>Другая сумма</b> (1):\n• №122184: в Bitrix 9\u{a0}000\u{a0}₸, в CRM 7\u{a0}500\u{a0}₸",
        "Bitrix отправит их заново: запрошено 3",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
    assert!(!text.contains("прервана"));
    assert_well_formed(&text);
}

#[test]
fn a_reconciliation_with_a_thousand_differences_and_a_long_error_still_fits_one_message() {
    let many: Vec<_> =
        (0..1000).map(|n| serde_json::json!({"kind": "missing", "bitrix_order_id": 100_000 + n})).collect();
    let run = reconciliation(serde_json::Value::Array(many), Some(&"<ошибка>".repeat(2000)));
    let text = render_reconciliation(&run);
    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    assert!(text.contains("… и ещё 976 заказов") && text.contains("⚠️ Сверка прервана: &lt;ошибка&gt;"), "{text}");
    assert_well_formed(&text);
}

#[test]
fn the_summary_says_how_the_newest_reconciliation_went() {
    let ok = reconciliation(serde_json::json!([{"kind": "missing", "bitrix_order_id": 1}]), None);
    let failed = reconciliation(serde_json::json!([]), Some("orders.snapshot: gateway HTTP 503"));
    let with_ok = render_summary(&summary(0, 0), Some(&ok));
    let with_failed = render_summary(&summary(0, 0), Some(&failed));
    assert!(
        with_ok.contains("Сверка с Bitrix (29.11.2026 04:00): заказов 54, расхождений 1, запрошено повторно 3"),
        "{with_ok}"
    );
    assert!(
        with_failed.contains("Сверка с Bitrix (29.11.2026 04:00) не удалась: orders.snapshot: gateway HTTP 503"),
        "{with_failed}"
    );
    assert!(!render_summary(&summary(0, 0), None).contains("Сверка"));
}

#[test]
fn the_buyers_comment_is_in_the_message_when_there_is_one_and_escaped() {
    let mut with = card();
    with.customer_comment = Some("Позвонить <за час> & не звонить в дверь".into());
    let mut without = card();
    without.customer_comment = Some("  ".into());

    let text = render(&with, Occasion::NewOrder, CRM);

    assert!(
        text.contains("<b>Комментарий покупателя</b>: Позвонить &lt;за час&gt; &amp; не звонить в дверь"),
        "{text}"
    );
    assert!(!render(&without, Occasion::NewOrder, CRM).contains("Комментарий"));
    assert_well_formed(&text);
}

#[test]
fn the_message_says_how_the_order_is_paid_and_warns_once_it_leaves_unpaid() {
    let mut order = card();
    let silent = render(&order, Occasion::NewOrder, CRM);
    order.payment = Some(crate::domain::views::PaymentView {
        paid: false,
        sum_paid: None,
        pay_system_id: Some(7),
        pay_system_name: Some("Kaspi".into()),
    });
    let new = render(&order, Occasion::NewOrder, CRM);
    order.status = CrmStatus::Delivering;
    let late_news = render(&order, Occasion::NewOrder, CRM);
    let leaving = render(&order, Occasion::StatusChanged(CrmStatus::Delivering), CRM);
    order.payment.as_mut().unwrap().paid = true;
    let paid = render(&order, Occasion::StatusChanged(CrmStatus::Delivering), CRM);

    assert!(!silent.contains("Оплата"), "{silent}");
    assert!(new.contains("Оплата: Не оплачен · Kaspi"), "{new}");
    assert!(!new.contains("У курьера без оплаты"));
    assert!(!late_news.contains("У курьера без оплаты"), "only the message that says it left warns");
    assert!(leaving.contains("⚠️ <b>У курьера без оплаты: получить 16\u{a0}500\u{a0}₸</b>"), "{leaving}");
    assert!(paid.contains("Оплата: Оплачен · Kaspi") && !paid.contains("без оплаты"));
}
