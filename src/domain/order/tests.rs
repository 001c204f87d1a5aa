use super::*;
use serde_json::json;

fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/bitrix/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_order_create_sample_maps_every_field_of_the_spec() {
    let event = parse_webhook(fixture("order-create.json")).unwrap();
    assert_eq!(event.kind, EventKind::Create);
    assert_eq!(event.bitrix_order_id.get(), 122_183);
    assert_eq!(event.status, Some(OrderStatus { raw: BitrixStatusCode::parse("N").unwrap(), crm: CrmStatus::New }));
    let d = &event.details;
    assert_eq!(d.order_number, Field::Set("122183".into()));
    assert_eq!(d.total_amount.value().unwrap().to_string(), "9000.00");
    assert_eq!(d.delivery_fee.value().unwrap().to_string(), "1500.00");
    assert_eq!(d.recipient_phone, Field::Set(Phone::Kazakh("+77015551234".into())));
    assert_eq!(d.postcard_text, Field::Set("С днём рождения! Люблю, Марат".into()));
    assert_eq!(d.customer_comment, Field::Set("Позвонить получателю за час".into()));
    assert_eq!(d.delivery_date, Field::Set(NaiveDate::from_ymd_opt(2025, 8, 25).unwrap()));
    assert_eq!(d.bitrix_city_id.value().unwrap().get(), 2);
    assert_eq!(d.delivery_time_id.value().unwrap().get(), 18);
    assert_eq!(d.bitrix_shop_id.value().unwrap().get(), 17008);
    let basket = event.basket.as_ref().unwrap();
    assert_eq!(basket.len(), 1);
    assert_eq!(basket[0].product_snapshot.name.as_deref(), Some("Букет Стандарт"));
    assert_eq!(basket[0].quantity.to_string(), "1.00");
    let buyer = event.buyer.as_ref().unwrap();
    assert_eq!(buyer.bitrix_user_id.get(), 4521);
    assert_eq!(buyer.phone, Field::Set(Phone::Kazakh("+77015550000".into())));
}

#[test]
fn the_status_change_sample_carries_only_its_status_and_time() {
    let event = parse_webhook(fixture("order-status-change.json")).unwrap();
    assert_eq!(event.kind, EventKind::StatusChange);
    assert_eq!(event.status.unwrap().crm, CrmStatus::Delivering);
    assert!(event.changed_at.is_some());
    assert_eq!(event.details, OrderDetails::default());
    assert_eq!(event.basket, None);
    assert_eq!(event.buyer, None);
}

#[test]
fn the_update_sample_without_a_user_object_upserts_no_buyer_but_keeps_the_link() {
    let event = parse_webhook(fixture("order-update.json")).unwrap();
    assert_eq!(event.buyer, None);
    assert_eq!(event.details.bitrix_user_id.value().unwrap().get(), 4521);
    assert_eq!(event.basket.unwrap().len(), 2);
}

#[test]
fn absent_fields_are_kept_and_empty_ones_are_cleared() {
    let event = parse_webhook(json!({"event": "order.update", "data": {
        "ID": "5", "PRICE": "", "properties": {"postcardText": "  ", "city": ""}
    }}))
    .unwrap();
    assert_eq!(event.details.total_amount, Field::Clear);
    assert_eq!(event.details.postcard_text, Field::Clear);
    assert_eq!(event.details.bitrix_city_id, Field::Clear);
    assert_eq!(event.details.recipient_name, Field::Absent);
    let stored = serde_json::to_value(&event.details).unwrap();
    assert_eq!(stored, json!({"total_amount": null, "postcard_text": null, "bitrix_city_id": null}));
}

#[test]
fn an_unknown_status_code_is_kept_and_never_refused() {
    let event = parse_webhook(json!({"event": "order.status.change", "data": {"ID": "5", "STATUS_ID": "XY"}})).unwrap();
    let status = event.status.unwrap();
    assert_eq!((status.raw.as_str(), status.crm), ("XY", CrmStatus::Unknown));
}

#[test]
fn each_kind_of_bad_input_is_refused_with_the_field_it_concerns() {
    let cases = [
        (json!({"data": {"ID": "1"}}), "event"),
        (json!({"event": "order.delete", "data": {"ID": "1"}}), "event"),
        (json!({"event": "order.create"}), "data"),
        (json!({"event": "order.create", "data": {"ID": ""}}), "data.ID"),
        (json!({"event": "order.create", "data": {"ID": "abc"}}), "data.ID"),
        (json!({"event": "order.create", "data": {"ID": "1", "PRICE": "дорого"}}), "data.PRICE"),
        (json!({"event": "order.create", "data": {"ID": "1", "DATE_UPDATE": "вчера"}}), "data.DATE_UPDATE"),
        (
            json!({"event": "order.create", "data": {"ID": "1", "properties": {"data": "32.13.2025"}}}),
            "data.properties.data",
        ),
        (
            json!({"event": "order.create", "data": {"ID": "1", "basket": [{"ID": "7", "QUANTITY": "1"}]}}),
            "data.basket[0].PRICE",
        ),
        (
            json!({"event": "order.create", "data": {"ID": "1", "basket": [
            {"ID": "7", "PRICE": "1", "QUANTITY": "1"}, {"ID": "7", "PRICE": "1", "QUANTITY": "1"}]}}),
            "data.basket[1].ID",
        ),
        (json!({"event": "order.create", "data": {"ID": true}}), "data.ID"),
        (json!({"event": "order.status.change", "data": {"ID": "1"}}), "data.STATUS_ID"),
    ];
    for (body, field) in cases {
        let error = parse_webhook(body.clone()).unwrap_err();
        assert_eq!(error.field(), field, "{body} gave {error}");
    }
}

#[test]
fn the_event_key_ignores_key_order_and_the_token_but_not_the_content() {
    let a = parse_webhook(json!({"event": "order.create", "token": "x", "data": {"ID": "1", "PRICE": "5"}})).unwrap();
    let b = parse_webhook(json!({"data": {"PRICE": "5", "ID": "1"}, "event": "order.create"})).unwrap();
    let c = parse_webhook(json!({"event": "order.create", "data": {"ID": "1", "PRICE": "6"}})).unwrap();
    let d = parse_webhook(json!({"event": "order.update", "data": {"ID": "1", "PRICE": "5"}})).unwrap();
    assert_eq!(a.event_key, b.event_key);
    assert_ne!(a.event_key, c.event_key);
    assert_ne!(a.event_key, d.event_key);
    assert_eq!(a.event_key.len(), 64);
}

#[test]
fn cyrillic_and_emoji_pass_through_unchanged() {
    let event = parse_webhook(json!({"event": "order.create", "data": {"ID": "1",
        "properties": {"nameRecipient": "Әсем 🌷", "postcardText": "Люблю ❤️ <b>&</b>"}}}))
    .unwrap();
    assert_eq!(event.details.recipient_name, Field::Set("Әсем 🌷".into()));
    assert_eq!(event.details.postcard_text, Field::Set("Люблю ❤️ <b>&</b>".into()));
}

fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[0-9 .,+-]{0,12}".prop_map(serde_json::Value::String),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("ID".to_owned()),
            Just("PRICE".to_owned()),
            Just("STATUS_ID".to_owned()),
            Just("basket".to_owned()),
            Just("properties".to_owned()),
            Just("user".to_owned()),
            Just("QUANTITY".to_owned()),
            Just("data".to_owned()),
            Just("city".to_owned()),
            "[a-z]{1,4}".prop_map(|k| k),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn any_json_body_is_either_parsed_or_refused_with_a_field_and_never_panics(
        data in arbitrary_json(),
        event in proptest::prop_oneof![proptest::strategy::Just("order.create"), proptest::strategy::Just("order.update"),
                                       proptest::strategy::Just("order.status.change"), proptest::strategy::Just("x")],
    ) {
        match parse_webhook(json!({"event": event, "data": data})) {
            Ok(parsed) => proptest::prop_assert_eq!(parsed.event_key.len(), 64),
            Err(error) => proptest::prop_assert!(!error.field().is_empty()),
        }
    }
}

#[test]
fn a_phone_sent_empty_clears_the_stored_one_and_a_phone_left_out_keeps_it() {
    let empty =
        parse_webhook(json!({"event": "order.update", "data": {"ID": "1", "properties": {"phoneRecipient": "  "}}}))
            .unwrap();
    let absent = parse_webhook(json!({"event": "order.update", "data": {"ID": "1", "properties": {}}})).unwrap();
    assert_eq!(empty.details.recipient_phone, Field::Clear);
    assert_eq!(absent.details.recipient_phone, Field::Absent);
}

/// The key is stored in `webhook_events`: the same body must give the same key in every version
/// of the Worker, or a repeat sent across a deploy would be applied twice.
#[test]
fn the_event_key_is_the_sha256_of_the_event_and_its_canonical_data_in_every_version() {
    let data = json!({"PRICE": "5", "ID": "1", "basket": [{"NAME": "a", "ID": "2"}, {"ID": "3"}], "x": [1, 2]});
    let key = event_key(EventKind::Create, &data);
    // sha256("order.create\n{\"ID\":\"1\",\"PRICE\":\"5\",\"basket\":[{\"ID\":\"2\",\"NAME\":\"a\"},{\"ID\":\"3\"}],\"x\":[1,2]}")
    assert_eq!(key, "7767d86d7faf00722fa321647f62bfc5826ecf2acee76d89e00a50eb0c78678c");
}

#[test]
fn the_change_key_tells_an_older_sender_a_change_made_in_bitrix_and_the_echo_of_a_crm_change_apart() {
    let with = |key: Option<serde_json::Value>| {
        let mut data = json!({"ID": "7", "STATUS_ID": "AP"});
        if let Some(key) = key {
            data["crm_change_key"] = key;
        }
        parse_webhook(json!({"event": "order.status.change", "data": data})).map(|e| e.crm_change)
    };
    let key = "bitrix:status:0b6f3c1e-0000-4000-8000-000000000001:3";
    assert_eq!(with(None), Ok(CrmChange::NotSaid));
    assert_eq!(with(Some(json!(null))), Ok(CrmChange::None));
    assert_eq!(with(Some(json!(""))), Ok(CrmChange::None));
    assert_eq!(with(Some(json!(key))), Ok(CrmChange::Key(key.into())));
    let longest = "k".repeat(200);
    assert_eq!(with(Some(json!(longest))), Ok(CrmChange::Key(longest)), "200 characters are still a key");
    for bad in [json!("bitrix:status:<script>"), json!("k".repeat(201)), json!({"k": 1})] {
        let error = with(Some(bad.clone())).unwrap_err();
        assert_eq!(error.field(), "data.crm_change_key", "{bad}");
    }
}

#[test]
fn a_payment_is_read_from_payed_sum_paid_and_the_pay_system() {
    let mut body = fixture("order-create.json");
    body["data"]["PAYED"] = json!("N");
    body["data"]["SUM_PAID"] = json!("5000.00");
    body["data"]["PAY_SYSTEM_ID"] = json!("7");
    body["data"]["PAY_SYSTEM_NAME"] = json!(" Kaspi ");
    let d = parse_webhook(body).unwrap().details;
    assert_eq!(d.paid, Field::Set(false));
    assert_eq!(d.sum_paid, Field::Set(Money::parse("5000").unwrap()));
    assert_eq!(d.pay_system_id.value().map(|id| id.get()), Some(7));
    assert_eq!(d.pay_system_name, Field::Set("Kaspi".to_owned()));
    let mut silent = fixture("order-create.json");
    silent["data"].as_object_mut().unwrap().remove("PAYED");
    assert_eq!(parse_webhook(silent).unwrap().details.paid, Field::Absent, "an older sender says nothing");
}

#[test]
fn a_payed_flag_other_than_y_or_n_is_refused_naming_the_field() {
    let mut body = fixture("order-create.json");
    body["data"]["PAYED"] = json!("yes");
    let error = parse_webhook(body).unwrap_err();
    assert_eq!(error.field(), "data.PAYED");
}
