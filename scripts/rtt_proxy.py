#!/usr/bin/env python3
"""A TCP proxy that adds a round-trip time, for `make bench` (the Worker to PostgREST at 100 ms).

Usage: rtt_proxy.py LISTEN_PORT TARGET_PORT RTT_MS

Every byte is held RTT_MS / 2 on its way out and RTT_MS / 2 on its way back, in order, so a
request and its answer cost one RTT more than without the proxy. A new connection costs one more
RTT before its first byte (TCP's handshake on a real link). Listens on 127.0.0.1 only.
"""
import asyncio
import sys
import time

CHUNK = 64 * 1024


async def pipe(reader, writer, delay):
    """Copies reader to writer, each chunk `delay` seconds after it was read, in order."""
    queue = asyncio.Queue()

    async def read():
        while True:
            data = await reader.read(CHUNK)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                return

    async def write():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass


async def main():
    listen_port, target_port, rtt_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    half = rtt_ms / 2000

    async def connection(client_reader, client_writer):
        await asyncio.sleep(2 * half)
        try:
            target_reader, target_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, target_writer, half), pipe(target_reader, client_writer, half))
        for writer in (client_writer, target_writer):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
