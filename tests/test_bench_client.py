"""bench/loadtest.py's raw HTTP client reads bodies exactly, whatever their framing:
a wrong reader would desynchronise a kept-alive connection and corrupt the figures."""

from __future__ import annotations

import asyncio

import pytest

from loadtest import raw_get

RESPONSES = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "/chunked": (
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n4;x=1\r\ndefg\r\n0\r\n\r\n"
    ),
    "/big": b"HTTP/1.1 200 OK\r\ncontent-length: 300000\r\n\r\n" + b"x" * 300_000,
    "/none": b"HTTP/1.1 200 OK\r\n\r\nunframed",
}


async def exchange(paths: list[str]) -> list[object]:
    async def answer(reader, writer):
        while line := await reader.readline():
            path = line.split()[1].decode()
            await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSES[path])
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    results: list[object] = []
    for path in paths:  # all on one kept-alive connection
        try:
            results.append(await raw_get(reader, writer, "127.0.0.1", path))
        except ValueError as exc:
            results.append(type(exc).__name__)
    writer.close()
    server.close()
    return results


def test_raw_client_reads_each_framing_on_one_connection():
    assert asyncio.run(exchange(["/length", "/chunked", "/big", "/length", "/none"])) == [
        (200, 5),
        (404, 7),
        (200, 300_000),
        (200, 5),
        "ValueError",
    ]


@pytest.mark.parametrize("path", ["/length", "/big"])
def test_raw_client_sizes(path):
    assert asyncio.run(exchange([path]))[0][1] == len(RESPONSES[path].split(b"\r\n\r\n", 1)[1])
