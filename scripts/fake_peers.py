#!/usr/bin/env python3
"""Stand-ins for the Bitrix PHP gateway and the Telegram Bot API, for `make dev` and `make bench`.

Usage: fake_peers.py BITRIX_PORT TELEGRAM_PORT
Answers as docs/bitrix-gateway.md and the Bot API's sendMessage do (success only) and prints
one JSON line per request, so a developer sees what the Worker sent (the stack's logs/peers.log).
The integration tests use their own scriptable fakes (tests/integration/fakes.rs).
"""
import http.server
import itertools
import json
import sys
import threading

BITRIX_TOKEN = "dev-bitrix-token"
order_ids = itertools.count(9_100_000)
created = {}
lock = threading.Lock()


def handler(peer):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            status, answer = (peer_bitrix if peer == "bitrix" else peer_telegram)(self, body)
            print(json.dumps({"peer": peer, "path": self.path, "status": status, "body": body}, ensure_ascii=False), flush=True)
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def peer_bitrix(request, body):
    if request.headers.get("X-API-TOKEN") != BITRIX_TOKEN:
        return 401, {"ok": False, "error": "unauthorized", "message": "Invalid X-API-TOKEN"}
    action = (body or {}).get("action")
    if action == "order.create":
        with lock:
            key = body.get("idempotency_key")
            if key not in created:
                created[key] = next(order_ids)
            return 200, {"ok": True, "bitrix_order_id": str(created[key])}
    if action in ("order.set_status", "product.set_availability"):
        return 200, {"ok": True}
    return 400, {"ok": False, "error": "unknown_action", "message": "Unknown action"}


def peer_telegram(request, body):
    if not request.path.endswith("/sendMessage") or not (body or {}).get("text"):
        return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
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
