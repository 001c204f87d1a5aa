#!/usr/bin/env python3
"""Stand-ins for the Bitrix PHP gateway and the Telegram Bot API, for `make dev` and `make bench`.

Usage: fake_peers.py BITRIX_PORT TELEGRAM_PORT

They answer as docs/bitrix-gateway.md and the Bot API's sendMessage do, with the same checks as
the test suite's fakes (tests/integration/fakes.rs): the gateway's X-API-TOKEN and its
Idempotency-Key (header and body, one answer per key); Telegram's bot token, chat id and
4096-character limit. Each request is printed as one JSON line, with its arrival time in Unix
seconds as `at` (the stack's logs/peers.log).

Either can be told to fail, to see the Worker retry or dead-letter:

    curl -X POST http://127.0.0.1:54381/__fail -d '{"count": 3, "status": 429, "retry_after": 5}'
    curl -X POST http://127.0.0.1:54380/__fail -d '{"count": 2, "status": 503, "headers": {"Retry-After": "10"}}'
    curl -X POST http://127.0.0.1:54380/__fail -d '{"count": 1, "status": 200, "raw": "<html>not JSON</html>"}'
    curl -X POST http://127.0.0.1:54381/__fail -d '{"count": 1, "status": 403}'   # bot blocked
    curl -X POST http://127.0.0.1:54380/__fail -d '{"count": 0}'                 # back to normal

The next `count` requests get that answer (a JSON error in the peer's own shape unless `raw`).

The gateway's catalogue (`catalog.snapshot`) has FAKE_CATALOG products (40 by default; the
benchmark asks for 5,000), and its reference data a day of hourly slots.
"""
import http.server
import itertools
import json
import os
import sys
import threading
import time

BITRIX_TOKEN = os.environ.get("BITRIX_API_TOKEN", "dev-bitrix-token")
TELEGRAM_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "123456:dev-telegram-token")
TELEGRAM_CHAT_ID = os.environ.get("TELEGRAM_CHAT_ID", "-1000000000000")
order_ids = itertools.count(9_100_000)
SECTIONS = [("10", "Букеты"), ("11", "Розы"), ("12", "Композиции в коробке")]
CATALOG = [{"id": str(20_000 + n), "name": f"Букет каталога №{n}", "code": f"buket-{n}", "active": "Y",
            "section": {"id": SECTIONS[n % 3][0], "name": SECTIONS[n % 3][1]},
            "price": str(5000 + (n % 20) * 500), "currency": "KZT", "in_stock": "159" if n % 7 == 0 else "158",
            "picture": f"https://cvety.kz/upload/iblock/{20_000 + n}.jpg", "changed_at": "2026-11-30T10:00:00+05:00"}
           for n in range(1, int(os.environ.get("FAKE_CATALOG", "40")) + 1)]
answers = {}
failures = {"bitrix": [], "telegram": []}
lock = threading.Lock()

TELEGRAM_ERRORS = {
    400: "Bad Request: can't parse entities",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


def scripted_failure(peer):
    """The next scripted failure for this peer, or None."""
    with lock:
        queue = failures[peer]
        return queue.pop(0) if queue else None


def failure_answer(peer, failure):
    status = int(failure.get("status", 500))
    headers = dict(failure.get("headers", {}))
    if "raw" in failure:
        return status, headers, failure["raw"].encode()
    if peer == "telegram":
        retry_after = int(failure.get("retry_after", 1))
        body = {"ok": False, "error_code": status,
                "description": TELEGRAM_ERRORS.get(status, "Error").format(retry_after=retry_after)}
        if status == 429:
            body["parameters"] = {"retry_after": retry_after}
    else:
        body = {"ok": False, "error": "scripted_failure", "message": f"Сбой по сценарию (HTTP {status})"}
    return status, headers, json.dumps(body, ensure_ascii=False).encode()


def handler(peer):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            arrived = time.time()
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                # A photo (multipart): its size and type are what the log keeps.
                body = {"multipart_bytes": len(raw)} if "multipart/form-data" in self.headers.get("Content-Type", "") else None
            if self.path == "/__fail":
                with lock:
                    spec = body or {}
                    failures[peer] = [spec] * int(spec.get("count", 1))
                return self.answer(200, {}, json.dumps({"ok": True, "failing": len(failures[peer])}).encode())
            failure = scripted_failure(peer)
            if failure is not None:
                status, headers, data = failure_answer(peer, failure)
            else:
                status, answer = (peer_bitrix if peer == "bitrix" else peer_telegram)(self, body)
                headers, data = {}, json.dumps(answer, ensure_ascii=False).encode()
            print(json.dumps({"peer": peer, "at": arrived, "path": self.path, "status": status, "body": body},
                             ensure_ascii=False), flush=True)
            self.answer(status, headers, data)

        def answer(self, status, headers, data):
            self.send_response(status)
            headers.setdefault("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def peer_bitrix(request, body):
    if request.headers.get("X-API-TOKEN") != BITRIX_TOKEN:
        return 401, {"ok": False, "error": "unauthorized", "message": "Invalid X-API-TOKEN"}
    key = request.headers.get("Idempotency-Key")
    if not key:
        return 400, {"ok": False, "error": "missing_idempotency_key", "message": "Нет заголовка Idempotency-Key"}
    if (body or {}).get("idempotency_key") != key:
        return 422, {"ok": False, "error": "idempotency_key_mismatch", "message": "Ключи заголовка и тела не совпадают"}
    if body.get("action") == "catalog.snapshot":
        # A read, paged by id as the kit pages it.
        after, limit = int(body.get("after_id") or 0), min(int(body.get("limit") or 500), 500)
        since = body.get("changed_since")  # every product here last changed on 2026-11-30
        fresh = since is None or since[:10] <= "2026-11-30"
        rest = [p for p in CATALOG if int(p["id"]) > after] if fresh else []
        page = rest[:limit]
        more = len(rest) > limit
        return 200, {"ok": True, "products": page, "next_after_id": int(page[-1]["id"]) if more else None}
    if body.get("action") == "reference.snapshot":
        # A read, as the kit answers it: afresh, never kept with its key. The shop's hourly
        # slots from 09:00 to 22:00 (18 is 15:00-16:00, as in the migrations).
        slots = [{"id": str(h + 3), "name": f"{h:02d}:00-{h + 1:02d}:00", "sort": 100 + h} for h in range(9, 22)]
        return 200, {"ok": True, "slots": slots,
                     "cities": [{"id": "2", "name": "Алматы"}, {"id": "3", "name": "Астана"}],
                     "shops": [{"id": "17008", "name": "CVETYKZ"}],
                     "statuses": [{"id": "N", "name": "Принят, ожидается оплата"}, {"id": "AP", "name": "Принят"},
                                  {"id": "PD", "name": "Передан курьеру"}, {"id": "CO", "name": "Доставлен"}],
                     "pay_systems": [{"id": "7", "name": "Kaspi"}, {"id": "3", "name": "Наличные курьеру"},
                                     {"id": "5", "name": "Банковская карта"}],
                     "deliveries": [{"id": "2", "name": "Курьер"}, {"id": "3", "name": "Самовывоз"}]}
    with lock:
        if key in answers:
            return answers[key]
        action = body.get("action")
        if action == "order.create":
            answer = 200, {"ok": True, "bitrix_order_id": str(next(order_ids))}
        elif action in ("order.set_status", "product.set_availability"):
            answer = 200, {"ok": True}
        elif action == "order.update":  # keeps no orders: nothing was changed there meanwhile
            answer = 200, {"ok": True, "changed": True, "overwritten": []}
        elif action == "orders.snapshot":  # this stand-in keeps no orders of its own
            answer = 200, {"ok": True, "orders": [], "next_after_id": None}
        elif action == "orders.resend":
            answer = 200, {"ok": True, "queued": 0, "missing": body.get("bitrix_order_ids", [])}
        else:
            return 400, {"ok": False, "error": "unknown_action", "message": "Unknown action"}
        answers[key] = answer
        return answer


def peer_telegram(request, body):
    def error(code, description):
        return code, {"ok": False, "error_code": code, "description": description}

    if request.path in (f"/bot{TELEGRAM_TOKEN}/sendPhoto", f"/bot{TELEGRAM_TOKEN}/sendDocument"):
        if not (body or {}).get("multipart_bytes"):
            return error(400, "Bad Request: there is no photo in the request")
        return 200, {"ok": True, "result": {"message_id": 1}}
    if request.path != f"/bot{TELEGRAM_TOKEN}/sendMessage":
        return error(401, "Unauthorized") if request.path.startswith("/bot") else error(404, "Not Found")
    body = body or {}
    if str(body.get("chat_id")) != TELEGRAM_CHAT_ID:
        return error(400, "Bad Request: chat not found")
    text = body.get("text") or ""
    if not text.strip():
        return error(400, "Bad Request: message text is empty")
    if len(text.encode("utf-16-le")) // 2 > 4096:
        return error(400, "Bad Request: message is too long")
    return 200, {"ok": True, "result": {"message_id": 1}}


class Server(http.server.ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections under a burst of jobs.
    request_queue_size = 256
    daemon_threads = True


def main():
    bitrix_port, telegram_port = int(sys.argv[1]), int(sys.argv[2])
    servers = [Server(("127.0.0.1", port), handler(peer))
               for peer, port in (("bitrix", bitrix_port), ("telegram", telegram_port))]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
