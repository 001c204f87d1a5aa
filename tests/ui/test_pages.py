#!/usr/bin/env python3
"""The staff pages in a real headless Chromium (Debian's /usr/bin/chromium, Playwright for
Python 1.64.1 with executable_path: its own browser download cannot work here).

Run by tests/ui.rs, which brings up the test stack and the fakes and adds the accounts; this
script only needs their addresses (environment). Each test is a staff member's task, found by
role and Russian name as a person would; every page is checked with axe-core (no serious or
critical violation) and photographed into $SCREENSHOTS.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from send_webhook import signature_headers  # noqa: E402  (the kit's signing, as the README's script does it)

BASE = os.environ["CRM_URL"].rstrip("/")
BITRIX = os.environ["BITRIX_FAKE"]
TELEGRAM = os.environ["TELEGRAM_FAKE"]
SHOTS = os.environ["SCREENSHOTS"]
AXE = os.environ["AXE"]
ALMATY = datetime.timezone(datetime.timedelta(hours=5))
TODAY = datetime.datetime.now(ALMATY).date()
RUN = uuid.uuid4().hex[:6]


def sql(query):
    command = ["psql", "-X", "-q", "-tA", "-h", "127.0.0.1", "-p", os.environ["PG_PORT"], "-U", "postgres", "postgres", "-c", query]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def received(fake, needle):
    query = urllib.parse.urlencode({"needle": needle})
    return http("GET", f"{fake}/__received?{query}")[1]


def eventually(check, what, seconds=20):
    started = time.time()
    while time.time() - started < seconds:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def webhook(bitrix_id, name, phone, slot, postcard):
    body = {"event": "order.create", "data": {
        "ID": str(bitrix_id), "ACCOUNT_NUMBER": str(bitrix_id), "STATUS_ID": "N", "PRICE": "16500.00",
        "PRICE_DELIVERY": "1500.00", "CURRENCY": "KZT", "DATE_UPDATE": "2025-08-24T13:05:11+05:00",
        "properties": {"nameRecipient": name, "phoneRecipient": phone, "addressRecipient": "Алматы, пр. Абая 10",
                       "postcardText": postcard, "data": TODAY.isoformat(), "city": "2", "when": str(slot), "shopId": "17008"},
        "basket": [{"ID": str(bitrix_id * 10), "PRODUCT_ID": "15652", "NAME": "Букет Стандарт", "PRICE": "7500.00",
                    "QUANTITY": "2", "CURRENCY": "KZT"}]}}
    raw = json.dumps(body).encode()
    headers = signature_headers(os.environ["WEBHOOK_SIGNING_SECRET"], raw)
    status, answer = http("POST", f"{BASE}/webhooks/bitrix/order", body, headers)
    assert status == 200 and answer["outcome"] == "created", answer
    return answer["order_id"]


def launch():
    """Playwright and Debian's Chromium (never a downloaded browser)."""
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"])
    return playwright, browser


def axe_check(test, page, name):
    """axe-core finds no serious or critical violation; the page is photographed."""
    page.add_script_tag(path=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    test.assertEqual(bad, [], f"axe on {name}")


class StaffPages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Two slots the board knows: one long over today (00:00-00:01), one still ahead (23:58-23:59).
        sql("insert into delivery_time_slots (bitrix_slot_id, label, starts_at, ends_at) values "
            "(90, '00:00-00:01', '00:00', '00:01'), (91, '23:58-23:59', '23:58', '23:59') on conflict do nothing")
        cls.late_id = 8_100_000 + int(RUN, 16) % 100_000
        cls.late = webhook(cls.late_id, f"Гүлнара {RUN}", "8 (705) 123-45-67", 90, "<img src=x onerror=alert(1)> Люблю!")
        cls.ahead = webhook(cls.late_id + 1, f"Асель {RUN}", "+77019876543", 91, "С праздником")
        cls.product_bitrix = 7_100_000 + int(RUN, 16) % 100_000
        cls.product = sql(f"insert into products (name, price, metadata) values ('Тюльпаны {RUN}', 4500, "
                          f"'{{\"properties\": {{\"bitrix_id\": \"{cls.product_bitrix}\", \"IN_STOCK\": \"158\", "
                          f"\"ru_url\": \"tyulpany-{RUN}\"}}}}') returning id")
        # A dead letter to replay: the gateway refuses this product once.
        cls.dead_bitrix = cls.product_bitrix + 1
        cls.dead_product = sql(f"insert into products (name, metadata) values ('Пионы {RUN}', "
                               f"'{{\"properties\": {{\"bitrix_id\": \"{cls.dead_bitrix}\", \"IN_STOCK\": \"158\"}}}}') returning id")
        http("POST", f"{BITRIX}/__script", {"needle": f"\"bitrix_product_id\":{cls.dead_bitrix}",
                                            "replies": [{"status": 422, "body": {"ok": False, "message": "Нет в каталоге"}}]})
        http("POST", f"{BASE}/api/products/{cls.dead_product}/set-unavailable", None,
             {"Authorization": f"Bearer {os.environ['CRM_TOKEN']}"})
        eventually(lambda: sql(f"select status from sync_jobs where payload ->> 'product_id' = '{cls.dead_product}'") == "dead",
                   "the dead letter")

        cls.playwright, cls.browser = launch()
        # bypass_csp: only so that axe-core can be added to the pages it checks.
        cls.context = cls.browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty", bypass_csp=True,
                                              viewport={"width": 1280, "height": 900})
        cls.page = cls.context.new_page()
        cls.dialogs = []
        cls.page.on("dialog", lambda dialog: (cls.dialogs.append(dialog.message), dialog.dismiss()))

    @classmethod
    def tearDownClass(cls):
        cls.context.close()
        cls.browser.close()
        cls.playwright.stop()

    # ------------------------------------------------------------------ helpers
    def check(self, name):
        axe_check(self, self.page, name)

    def log_in(self, login="admin", password="dev-staff-password"):
        page = self.page
        page.get_by_label("Логин").fill(login)
        page.get_by_label("Пароль").fill(password)
        page.get_by_role("button", name="Войти").click()

    # ------------------------------------------------------------------ tests, in order
    def test_01_a_page_asks_for_the_login_and_five_wrong_passwords_lock_it(self):
        page = self.page
        page.goto(f"{BASE}/crm/orders?status=new")
        expect(page).to_have_url(re.compile(r"/crm/login\?next=%2Fcrm%2Forders%3Fstatus%3Dnew$"))
        self.check("login")
        self.log_in("lockme", "wrong")
        expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль")
        for _ in range(4):
            self.log_in("lockme", "wrong")
        expect(page.get_by_role("alert")).to_contain_text("заблокирован до")
        self.log_in("lockme", "lockme-password")
        expect(page.get_by_role("alert")).to_contain_text("заблокирован до")
        self.log_in()
        expect(page).to_have_url(f"{BASE}/crm/orders?status=new")
        expect(page.get_by_role("heading", name="Заказы")).to_be_visible()

    def test_02_a_webhook_order_is_on_the_board_in_its_slot_and_its_lateness_is_said_in_words(self):
        page = self.page
        page.goto(f"{BASE}/crm")
        expect(page.get_by_role("heading", level=1)).to_contain_text("(сегодня)")
        late_slot = page.get_by_role("region", name=re.compile("00:00-00:01"))
        expect(late_slot.get_by_role("link", name=str(self.late_id))).to_be_visible()
        expect(late_slot).to_contain_text("Просрочен: время доставки прошло")
        ahead_slot = page.get_by_role("region", name=re.compile("23:58-23:59"))
        expect(ahead_slot.get_by_role("link", name=str(self.late_id + 1))).to_be_visible()
        self.check("board")

    def test_03_an_order_is_found_by_its_phone_typed_another_way(self):
        page = self.page
        page.goto(f"{BASE}/crm/orders")
        page.get_by_role("searchbox").fill("+7 705 123 45 67")
        page.get_by_role("button", name="Найти").click()
        expect(page.get_by_role("link", name=str(self.late_id))).to_be_visible()
        expect(page.get_by_role("row")).to_have_count(2)
        expect(page.get_by_role("searchbox")).to_have_value("+7 705 123 45 67")
        self.check("orders")

    def test_04_a_status_set_on_the_card_reaches_bitrix_and_the_timeline_with_the_staff_name(self):
        page = self.page
        page.goto(f"{BASE}/crm/orders/{self.late}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Заказ №{self.late_id}")
        expect(page.get_by_role("link", name="+7 (705) 123-45-67")).to_have_attribute("href", "tel:+77051234567")
        page.get_by_role("button", name="Принят").click()
        expect(page.get_by_role("status")).to_have_text("Статус изменён")
        calls = eventually(lambda: [c for c in received(BITRIX, f"\"bitrix_order_id\":{self.late_id}")
                                    if c["body"]["action"] == "order.set_status" and c["status"] == 200], "the status call")
        self.assertEqual(calls[0]["body"]["status_id"], "AP")
        timeline = page.locator("ol.timeline")
        expect(timeline).to_contain_text("Статус изменён: «Новый» → «Принят» — Администратор")
        page.reload()
        expect(page.locator("ol.timeline")).to_contain_text("Передача статуса в Битрикс: выполнено")
        self.check("order")

    def test_05_the_postcard_of_a_hostile_sender_is_shown_as_text(self):
        page = self.page
        page.goto(f"{BASE}/crm/orders/{self.late}")
        expect(page.get_by_role("region", name="Открытка")).to_contain_text("<img src=x onerror=alert(1)> Люблю!")
        self.assertEqual(page.locator("img").count(), 0)
        self.assertEqual(self.dialogs, [])

    def test_06_the_florists_ticket_prints_the_postcard_large(self):
        page = self.page
        page.goto(f"{BASE}/crm/orders/{self.late}/print")
        expect(page.locator(".postcard-text")).to_contain_text("Люблю!")
        expect(page.get_by_role("region", name="Состав")).to_contain_text("Букет Стандарт × 2")
        self.check("print")

    def test_07_availability_follows_the_button_in_the_badge_the_database_and_bitrix(self):
        page = self.page
        page.goto(f"{BASE}/crm/products/{self.product}")
        expect(page.locator(".badge")).to_have_text("В наличии")
        expect(page.get_by_role("link", name="🔗 Просмотреть на сайте")).to_have_attribute(
            "href", f"https://cvety.kz/products/tyulpany-{RUN}/")
        # The button locks and says so while its request runs: what it shows then is noted in
        # sessionStorage, which outlives the page the form leaves.
        page.evaluate("""() => {
            const button = document.querySelector("form[action$='/availability'] button");
            new MutationObserver(() => sessionStorage.setItem("busy", JSON.stringify(
                [button.textContent, button.getAttribute("aria-disabled"), button.getAttribute("aria-busy")])))
              .observe(button, {attributes: true, childList: true, characterData: true, subtree: true});
        }""")
        page.get_by_role("button", name="Сделать недоступным").click()
        expect(page.get_by_role("status")).to_have_text("Товар сделан недоступным")
        expect(page.locator(".badge")).to_have_text("Нет в наличии")
        busy = json.loads(page.evaluate("() => sessionStorage.getItem('busy')") or "null")
        self.assertEqual(busy, ["⏳ Обработка...", "true", "true"])
        self.assertEqual(sql(f"select metadata -> 'properties' ->> 'IN_STOCK' from products where id = '{self.product}'"), "159")
        calls = eventually(lambda: received(BITRIX, f"\"bitrix_product_id\":{self.product_bitrix}"), "the availability call")
        self.assertEqual(calls[0]["body"]["in_stock_value"], "159")
        page.get_by_role("button", name="Сделать доступным").click()
        expect(page.locator(".badge")).to_have_text("В наличии")
        self.check("product")
        page.goto(f"{BASE}/crm/products?q=Тюльпаны+{RUN}")
        expect(page.get_by_role("link", name=f"Тюльпаны {RUN}")).to_be_visible()
        self.check("products")

    def test_08_the_new_order_form_shows_each_problem_then_creates_the_order(self):
        page = self.page
        page.goto(f"{BASE}/crm/orders/new")
        page.get_by_role("button", name="Создать заказ").click()
        expect(page.locator("#recipient_name-error")).to_have_text("Обязательное поле")
        expect(page.locator("#items-error, p.field-error").first).to_be_visible()
        self.check("new-order-errors")
        page.get_by_label("Имя").fill(f"Новый {RUN}")
        page.get_by_label("Телефон").fill("8 701 222 33 44")
        page.get_by_label("Адрес").fill("Алматы, ул. Тестовая 1")
        page.get_by_label("Время").select_option("18")
        page.get_by_label("Товар 1").fill(f"Тюльпаны {RUN} ({self.product_bitrix})")
        page.get_by_label("Цена, ₸").first.fill("4500")
        page.get_by_label("Кол-во").first.fill("3")
        page.get_by_label("Текст открытки").fill("С днём рождения!")
        page.get_by_role("button", name="Создать заказ").click()
        expect(page.get_by_role("status")).to_have_text("Заказ создан и отправлен в Битрикс")
        expect(page.get_by_role("region", name="Состав")).to_contain_text("× 3")
        self.assertEqual(sql(f"select origin || ' ' || total_amount from orders where recipient_name = 'Новый {RUN}'"), "crm 13500.00")
        expect(page.locator("ol.timeline")).to_contain_text("Заказ создан в CRM — Администратор")

    def test_09_a_dead_letter_is_replayed_from_the_sync_page(self):
        page = self.page
        page.goto(f"{BASE}/crm/sync")
        expect(page.get_by_role("heading", name=re.compile("Не доставлено"))).to_be_visible()
        self.check("sync")
        row = page.get_by_role("row").filter(has_text="Нет в каталоге")
        row.get_by_role("button", name="Повторить").click()
        expect(page.get_by_role("status")).to_have_text("Повторно отправлено заданий: 1")
        eventually(lambda: [c for c in received(BITRIX, f"\"bitrix_product_id\":{self.dead_bitrix}") if c["status"] == 200],
                   "the replayed call")
        eventually(lambda: sql(f"select status from sync_jobs where payload ->> 'product_id' = '{self.dead_product}'") == "done",
                   "the replayed job to be done")

    def test_10_a_change_from_another_site_is_refused_and_changes_nothing(self):
        answer = self.page.request.post(f"{BASE}/crm/orders/{self.ahead}/status", form={"status": "declined"},
                                        headers={"Origin": "https://evil.example"})
        self.assertEqual(answer.status, 403)
        self.assertEqual(sql(f"select status from orders where id = '{self.ahead}'"), "new")

    def test_11_an_unknown_order_is_a_russian_404_page(self):
        page = self.page
        answer = page.goto(f"{BASE}/crm/orders/00000000-0000-4000-8000-000000000000")
        self.assertEqual(answer.status, 404)
        expect(page.get_by_role("heading", name="Заказ не найден")).to_be_visible()
        self.check("not-found")

    def test_12_an_expired_session_goes_back_to_the_login_then_to_the_page_it_asked_for(self):
        page = self.page
        sql("update staff_sessions set expires_at = now() - interval '1 second'")
        page.goto(f"{BASE}/crm/orders?source=crm")
        expect(page).to_have_url(re.compile(r"/crm/login\?next="))
        answer = self.page.request.post(f"{BASE}/crm/orders/{self.ahead}/status", form={"status": "declined"},
                                        headers={"Origin": BASE})
        self.assertEqual(answer.status, 403, "no session: no change")
        self.log_in()
        expect(page).to_have_url(f"{BASE}/crm/orders?source=crm")
        page.get_by_role("button", name="Выйти").click()
        expect(page.get_by_role("status")).to_have_text("Вы вышли из CRM")
        page.goto(f"{BASE}/crm")
        expect(page).to_have_url(re.compile(r"/crm/login"))


PHONE = {"width": 360, "height": 740}


def fits_a_phone(test, page, name):
    """No horizontal scroll at 360 px, and every button and link-button at least 44 px high."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    test.assertLessEqual(width, PHONE["width"], f"{name}: the page scrolls sideways ({width} px)")
    low = page.evaluate("""() => [...document.querySelectorAll('button, .button-link, select, input:not([type=hidden]):not([type=checkbox]), label:has(+ input[type=checkbox]), input[type=checkbox] + label')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 80))""")
    test.assertEqual(low, [], f"{name}: controls lower than 44 px")


class RolesDay(unittest.TestCase):
    """Each role's day (issue 19): the manager edits an order and assigns the courier, the
    florist attaches the bouquet's photo from a phone, the courier on a 360×740 screen takes and
    delivers it. Each person has a browser of their own."""

    @classmethod
    def setUpClass(cls):
        sql("insert into delivery_time_slots (bitrix_slot_id, label, starts_at, ends_at) values "
            "(92, '22:00-23:00', '22:00', '23:00'), (93, '23:00-23:59', '23:00', '23:59') on conflict do nothing")
        cls.bitrix_id = 8_300_000 + int(RUN, 16) % 100_000
        cls.order = webhook(cls.bitrix_id, f"Динара {RUN}", "+77017778899", 92, "С любовью")
        cls.playwright, cls.browser = launch()
        desk = {"locale": "ru-RU", "timezone_id": "Asia/Almaty", "bypass_csp": True}
        phone = {**desk, "viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
        cls.manager = cls.browser.new_context(**desk, viewport={"width": 1280, "height": 900}).new_page()
        cls.florist = cls.browser.new_context(**phone).new_page()
        cls.courier = cls.browser.new_context(**phone).new_page()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()

    def check(self, page, name):
        axe_check(self, page, name)

    def log_in(self, page, login, password):
        page.goto(f"{BASE}/crm/login")
        page.get_by_label("Логин").fill(login)
        page.get_by_label("Пароль").fill(password)
        page.get_by_role("button", name="Войти").click()

    def test_13_the_manager_edits_the_order_and_bitrix_gets_one_update_then_assigns_the_courier(self):
        page = self.manager
        self.log_in(page, "manager-ui", "manager-password")
        page.goto(f"{BASE}/crm/orders/{self.order}")
        page.get_by_role("link", name="✏️ Изменить заказ").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Изменить заказ №{self.bitrix_id}")
        page.get_by_label("Адрес").fill("Алматы, пр. Абая 12, кв. 7")
        page.get_by_label("Время").select_option("93")
        page.get_by_label("Текст открытки").fill("С любовью, навсегда")
        self.check(page, "edit-order")
        page.get_by_role("button", name="Сохранить и отправить в Битрикс").click()
        expect(page.get_by_role("status")).to_have_text("Заказ изменён, изменения отправлены в Битрикс")
        timeline = page.locator("ol.timeline")
        expect(timeline).to_contain_text("Адрес: «Алматы, пр. Абая 10» → «Алматы, пр. Абая 12, кв. 7»")
        expect(timeline).to_contain_text("Менеджер Дана")
        updates = eventually(lambda: [c for c in received(BITRIX, f"\"bitrix_order_id\":{self.bitrix_id}")
                                      if c["body"]["action"] == "order.update"], "the update in Bitrix")
        time.sleep(1)
        updates = [c for c in received(BITRIX, f"\"bitrix_order_id\":{self.bitrix_id}") if c["body"]["action"] == "order.update"]
        self.assertEqual(len(updates), 1, "one order.update per edit")
        self.assertEqual(updates[0]["body"]["fields"]["properties"],
                         {"addressRecipient": "Алматы, пр. Абая 12, кв. 7", "when": "93", "postcardText": "С любовью, навсегда"})
        page.get_by_label("Назначить").select_option(label="Курьер Ерлан")
        page.get_by_role("button", name="Сохранить", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Курьер назначен")
        page.goto(f"{BASE}/crm")
        expect(page.get_by_role("region", name=re.compile("23:00-23:59"))).to_contain_text("Курьер Ерлан")
        self.check(page, "board-with-courier")

    def test_14_the_florist_on_her_phone_marks_the_bouquet_assembled_with_a_photo_sent_to_the_chat_once(self):
        page = self.florist
        self.log_in(page, "florist-ui", "florist-password")
        expect(page.get_by_role("link", name="Синхронизация")).to_have_count(0)
        expect(page.get_by_role("link", name="Отчёты")).to_have_count(0)
        page.goto(f"{BASE}/crm/orders/{self.order}")
        expect(page.get_by_text("Итого")).to_have_count(0)
        # A photo as a phone's camera makes one: a JPEG, drawn here by the browser itself.
        shot = self.courier.context.new_page()
        shot.set_content("<body style='margin:0;background:linear-gradient(135deg,#f7a8b8,#c2185b 60%,#2e7d32)'>"
                         "<div style='font:64px sans-serif;color:#fff;padding:40px'>🌷🌹🌷</div></body>")
        photo = f"{SHOTS}/bouquet-{RUN}.jpg"
        shot.screenshot(path=photo, type="jpeg", quality=80)
        shot.close()
        page.get_by_label("Фото букета").set_input_files(photo)
        page.get_by_role("button", name="Собран — сохранить фото").click()
        expect(page.get_by_role("status")).to_have_text("Букет собран: фото сохранено и отправлено в чат")
        image = page.get_by_role("img", name=f"Фото букета к заказу №{self.bitrix_id}")
        expect(image).to_be_visible()
        self.assertGreater(image.evaluate("img => img.decode().then(() => img.naturalWidth)"), 0,
                           "the photo is served and shown")
        fits_a_phone(self, page, "card with photo")
        self.check(page, "card-with-photo")
        page.locator("section[aria-labelledby=bouquet]").screenshot(path=f"{SHOTS}/card-bouquet.png")
        sent = eventually(lambda: [c for c in received(TELEGRAM, f"заказ №{self.bitrix_id}")
                                   if c["path"].endswith("/sendPhoto")], "the photo in the chat")
        time.sleep(1)
        self.assertEqual(len([c for c in received(TELEGRAM, str(self.bitrix_id)) if c["path"].endswith("/sendPhoto")]), 1)
        self.assertIn(str(self.bitrix_id), sent[0]["body"]["caption"])
        answer = page.request.get(f"{BASE}/crm/sync")
        self.assertEqual(answer.status, 403, "no sync for the florist")

    def test_15_the_courier_on_a_360_px_phone_takes_the_order_and_delivers_it(self):
        page = self.courier
        self.log_in(page, "courier-ui", "courier-password")
        expect(page).to_have_url(f"{BASE}/crm/my")
        delivery = page.get_by_role("article").filter(has_text=str(self.bitrix_id))
        expect(delivery).to_contain_text("23:00-23:59")
        expect(delivery.get_by_role("link", name="+7 (701) 777-88-99")).to_have_attribute("href", "tel:+77017778899")
        expect(delivery.get_by_role("link", name="2ГИС")).to_have_attribute("href", re.compile(r"^https://2gis\.kz/search/"))
        expect(delivery.get_by_role("link", name="Яндекс Карты")).to_have_attribute("href", re.compile(r"^https://yandex\.kz/maps/"))
        expect(delivery).to_contain_text("С любовью, навсегда")
        fits_a_phone(self, page, "courier page")
        self.check(page, "courier-my")
        delivery.get_by_role("button", name="Забрал").click()
        expect(page.get_by_role("status")).to_contain_text("Доставляется")
        delivery = page.get_by_role("article").filter(has_text=str(self.bitrix_id))
        delivery.get_by_role("button", name="Доставлено").click()
        expect(page.get_by_role("status")).to_have_text("Отмечено: заказ доставлен")
        self.assertEqual(sql(f"select status from orders where id = '{self.order}'"), "completed")
        codes = eventually(lambda: [c["body"]["status_id"] for c in received(BITRIX, f"\"bitrix_order_id\":{self.bitrix_id}")
                                    if c["body"]["action"] == "order.set_status" and c["status"] == 200][:2] or None,
                           "the statuses in Bitrix")
        eventually(lambda: len([c for c in received(BITRIX, f"\"bitrix_order_id\":{self.bitrix_id}")
                                if c["body"]["action"] == "order.set_status"]) >= 2, "both statuses")
        codes = [c["body"]["status_id"] for c in received(BITRIX, f"\"bitrix_order_id\":{self.bitrix_id}")
                 if c["body"]["action"] == "order.set_status"]
        self.assertEqual(codes, ["PD", "CO"])
        self.assertEqual(page.request.get(f"{BASE}/crm/orders").status, 403, "no orders list for the courier")

    def test_16_every_page_a_role_opens_fits_a_360_px_phone(self):
        page = self.manager
        page.set_viewport_size(PHONE)
        with page.expect_download() as download:
            page.goto(f"{BASE}/crm/orders")
            page.get_by_role("link", name=re.compile("Скачать CSV")).click()
        csv = open(download.value.path(), "rb").read()
        self.assertTrue(csv.startswith("\ufeffНомер;".encode()), csv[:40])
        for path in ["/crm", f"/crm/orders/{self.order}", f"/crm/orders/{self.order}/edit", "/crm/orders", "/crm/products",
                     "/crm/reports", "/crm/sync"]:
            page.goto(f"{BASE}{path}")
            fits_a_phone(self, page, path)
        page.set_viewport_size({"width": 1280, "height": 900})

    def test_17_the_owner_adds_a_courier_whose_one_time_password_opens_the_courier_page(self):
        page = self.browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty", bypass_csp=True,
                                        viewport=PHONE).new_page()
        self.log_in(page, "admin", "dev-staff-password")
        page.goto(f"{BASE}/crm/staff")
        page.get_by_label("Логин (латиница)").fill(f"kuryer-{RUN}")
        page.get_by_label("Имя").fill(f"Курьер {RUN}")
        page.get_by_label("Роль", exact=True).select_option("courier")
        page.get_by_role("button", name="Добавить и показать пароль").click()
        expect(page.get_by_role("heading", name=f"Временный пароль для kuryer-{RUN}")).to_be_visible()
        password = page.locator(".password code").inner_text()
        fits_a_phone(self, page, "staff page")
        self.check(page, "staff")
        other = self.browser.new_context(locale="ru-RU", viewport=PHONE).new_page()
        self.log_in(other, f"kuryer-{RUN}", password)
        expect(other).to_have_url(f"{BASE}/crm/my")
        other.context.close()
        page.context.close()


class BuyerPage(unittest.TestCase):
    """The buyer's tracking page (issue 20) on a 360×740 phone: made on the card by the manager,
    before and after the bouquet's photo, after delivery, and revoked; never a phone number, an
    address or a price in its HTML."""

    @classmethod
    def setUpClass(cls):
        sql("insert into delivery_time_slots (bitrix_slot_id, label, starts_at, ends_at) values "
            "(94, '18:00-19:00', '18:00', '19:00') on conflict do nothing")
        cls.bitrix_id = 8_500_000 + int(RUN, 16) % 100_000
        cls.order = webhook(cls.bitrix_id, f"Сауле {RUN}", "+77012223344", 94, "Для мамы")
        cls.playwright, cls.browser = launch()
        cls.manager = cls.browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty", bypass_csp=True,
                                              viewport={"width": 1280, "height": 900}).new_page()
        cls.buyer = cls.browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty", bypass_csp=True, viewport=PHONE,
                                            is_mobile=True, has_touch=True, device_scale_factor=2).new_page()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()

    def check(self, page, name):
        axe_check(self, page, name)

    def private_parts_absent(self, html):
        for private in ["7012223344", "701) 222", "+7 (701) 555", "7015551234", "Абая", f"Сауле {RUN}", "Для мамы",
                        "16 500", "16500", "7 500", "7500", "₸"]:
            self.assertNotIn(private, html, f"the buyer's page shows {private}")

    def test_18_the_buyer_follows_the_order_from_the_link_to_its_revocation(self):
        manager, buyer = self.manager, self.buyer
        manager.goto(f"{BASE}/crm/login")
        manager.get_by_label("Логин").fill("manager-ui")
        manager.get_by_label("Пароль").fill("manager-password")
        manager.get_by_role("button", name="Войти").click()
        manager.goto(f"{BASE}/crm/orders/{self.order}")
        manager.get_by_role("button", name="Создать ссылку").click()
        expect(manager.get_by_role("status")).to_contain_text("Ссылка для покупателя создана")
        link = manager.locator(".track-url a").get_attribute("href")
        self.assertRegex(link, r"/t/[A-Za-z0-9_-]{43}$")
        expect(manager.get_by_role("link", name="Отправить покупателю в WhatsApp")).to_have_attribute(
            "href", re.compile(r"^https://wa\.me/\d*\?text=.*%2Ft%2F"))
        path = link[link.index("/t/"):]

        buyer.goto(f"{BASE}{path}")
        expect(buyer.get_by_role("heading", level=1)).to_have_text(f"Заказ №{self.bitrix_id}")
        expect(buyer.get_by_role("list", name="Как идёт заказ")).to_contain_text("Принят")
        expect(buyer.get_by_text("Фото букета появится здесь")).to_be_visible()
        self.private_parts_absent(buyer.content())
        fits_a_phone(self, buyer, "the buyer's page")
        self.check(buyer, "track-before-photo")

        shot = buyer.context.new_page()
        shot.set_content("<body style='margin:0;background:radial-gradient(circle,#fff176,#f06292 45%,#2e7d32)'></body>")
        photo = f"{SHOTS}/buyer-bouquet-{RUN}.jpg"
        shot.screenshot(path=photo, type="jpeg", quality=80)
        shot.close()
        manager.get_by_label("Фото букета").set_input_files(photo)
        manager.get_by_role("button", name="Собран — сохранить фото").click()
        expect(manager.get_by_role("status")).to_contain_text("Букет собран")

        buyer.reload()
        image = buyer.get_by_role("img", name="Фото вашего букета")
        self.assertGreater(image.evaluate("img => img.decode().then(() => img.naturalWidth)"), 0)
        expect(buyer.locator("li.done")).to_have_count(2)
        self.private_parts_absent(buyer.content())
        self.check(buyer, "track-with-photo")

        status, _ = http("PATCH", f"{BASE}/api/orders/{self.order}/status", {"status": "completed"},
                         {"Authorization": f"Bearer {os.environ['CRM_TOKEN']}"})
        self.assertEqual(status, 200)
        buyer.reload()
        expect(buyer.locator("li.done")).to_have_count(4)
        expect(buyer.locator("li[aria-current=step]")).to_contain_text("Доставлен")
        self.private_parts_absent(buyer.content())
        self.check(buyer, "track-delivered")

        manager.get_by_role("button", name="Отозвать ссылку").click()
        expect(manager.get_by_role("status")).to_contain_text("Ссылка отозвана")
        answer = buyer.goto(f"{BASE}{path}")
        self.assertEqual(answer.status, 404)
        expect(buyer.get_by_role("heading", name="Страница не найдена")).to_be_visible()
        self.check(buyer, "track-revoked")
        self.assertEqual(answer.headers["cache-control"], "private, no-store")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2, failfast=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
