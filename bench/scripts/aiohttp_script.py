"""BeProduct -> Moov as a user would write it in an afternoon: aiohttp, one lister, 8 workers.

The second contender of ``bench/compare.py``. One task asks BeProduct for an OAuth2 token, then
lists the image headers page by page into a queue; 8 workers each take a header, download its
original and upload it to Moov (multipart ``image`` + ``metadata`` with the alt text), so
downloads and uploads overlap from the first page on. No retries, no journal, no resume: a failed
request fails the script. Prints the number of images copied.

    .venv/bin/python bench/scripts/aiohttp_script.py --beproduct URL --moov URL --account ID \
        [--workers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import aiohttp

PAGE_SIZE = 100
DEMO = "demo"  # every credential of both emulators
MOOV_VERSION = "v2026.10.00"
DONE = None  # what the lister puts on the queue once per worker when the listing ends


async def token(session: aiohttp.ClientSession, beproduct: str) -> str:
    """A BeProduct access token from the refresh-token grant."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": DEMO,
        "client_id": DEMO,
        "client_secret": DEMO,
    }
    async with session.post(f"{beproduct}/ids/connect/token", data=form) as answer:
        answer.raise_for_status()
        return str((await answer.json())["access_token"])


async def list_headers(
    session: aiohttp.ClientSession, beproduct: str, queue: asyncio.Queue[Any], workers: int
) -> None:
    """Every image header onto ``queue``, page by page, then one DONE per worker."""
    headers = {"Authorization": f"Bearer {await token(session, beproduct)}"}
    seen, page = 0, 0
    while True:
        url = f"{beproduct}/api/{DEMO}/Image/Headers?pageSize={PAGE_SIZE}&pageNumber={page}"
        async with session.post(url, json={"filters": []}, headers=headers) as answer:
            answer.raise_for_status()
            body = await answer.json()
        for header in body["result"]:
            await queue.put(header)
        seen += len(body["result"])
        if not body["result"] or seen >= body["total"]:
            break
        page += 1
    for _ in range(workers):
        await queue.put(DONE)


def alt_of(header: dict[str, Any]) -> str:
    fields = header["headerData"]["fields"]
    return next((str(f["value"]) for f in fields if f["id"] == "description"), "")


async def copy_one(
    session: aiohttp.ClientSession, moov: str, account: str, header: dict[str, Any]
) -> None:
    url = str(header["headerData"]["preview"]["origin"])
    async with session.get(url) as download:
        download.raise_for_status()
        data = await download.read()
        mime = download.content_type
    form = aiohttp.FormData()
    form.add_field("image", data, filename=url.rsplit("/", 1)[-1], content_type=mime)
    form.add_field(
        "metadata", json.dumps({"altText": alt_of(header)}), content_type="application/json"
    )
    auth = aiohttp.BasicAuth(DEMO, DEMO)
    target = f"{moov}/accounts/{account}/images"
    headers = {"X-Moov-Version": MOOV_VERSION}
    async with session.post(target, data=form, auth=auth, headers=headers) as answer:
        answer.raise_for_status()


async def worker(
    session: aiohttp.ClientSession, moov: str, account: str, queue: asyncio.Queue[Any]
) -> int:
    copied = 0
    while (header := await queue.get()) is not DONE:
        await copy_one(session, moov, account, header)
        copied += 1
    return copied


async def main(args: argparse.Namespace) -> int:
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=4 * args.workers)
    connector = aiohttp.TCPConnector(limit=args.workers + 1)
    async with aiohttp.ClientSession(connector=connector) as session:
        # The first failure (the lister's or a worker's) ends the script.
        results = await asyncio.gather(
            list_headers(session, args.beproduct, queue, args.workers),
            *(worker(session, args.moov, args.account, queue) for _ in range(args.workers)),
        )
    print(f"copied {sum(n for n in results if isinstance(n, int))}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--beproduct", required=True, help="the BeProduct base URL")
    parser.add_argument("--moov", required=True, help="the Moov base URL")
    parser.add_argument("--account", required=True, help="the Moov account to upload to")
    parser.add_argument("--workers", type=int, default=8)
    sys.exit(asyncio.run(main(parser.parse_args())))
