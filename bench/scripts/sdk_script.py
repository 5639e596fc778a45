"""BeProduct -> Moov as the vendors' docs suggest: a sequential script on the official SDKs.

The first contender of ``bench/compare.py``: ``beproduct`` lists the image headers page by page,
each image's original is downloaded with ``requests`` (what the BeProduct SDK itself uses), and
``moovio-sdk`` uploads it with its alt text, one image after the other. No retries, no state: the
script a user writes in an hour. Prints the number of images copied.

    .venv/bin/python bench/scripts/sdk_script.py --beproduct URL --moov URL --account ID
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import requests
from beproduct.sdk import BeProduct
from moovio_sdk import Moov
from moovio_sdk.models import components

PAGE_SIZE = 100
DEMO = "demo"  # every credential of both emulators


def origin_of(header: dict[str, Any]) -> tuple[str, str]:
    """The current version's original file: its URL and file name (the URL ends with it)."""
    url = str(header["headerData"]["preview"]["origin"])
    return url, url.rsplit("/", 1)[-1]


def alt_of(header: dict[str, Any]) -> str:
    """The header's ``description`` field, which BeProduct users fill with the alt text."""
    fields = header["headerData"]["fields"]
    return next((str(f["value"]) for f in fields if f["id"] == "description"), "")


def copy_all(source: BeProduct, target: Moov, account: str) -> int:
    """List, download and upload every image, one at a time; returns how many were copied."""
    copied = 0
    for header in source.image.attributes_list(page_size=PAGE_SIZE):
        url, filename = origin_of(header)
        download = requests.get(url, timeout=30)
        download.raise_for_status()
        image: components.ImageTypedDict = {
            "file_name": filename,
            "content": download.content,
            "content_type": download.headers.get("Content-Type", "application/octet-stream"),
        }
        target.images.upload(account_id=account, image=image, metadata={"alt_text": alt_of(header)})
        copied += 1
    return copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--beproduct", required=True, help="the BeProduct base URL")
    parser.add_argument("--moov", required=True, help="the Moov base URL")
    parser.add_argument("--account", required=True, help="the Moov account to upload to")
    args = parser.parse_args()
    source = BeProduct(
        client_id=DEMO,
        client_secret=DEMO,
        refresh_token=DEMO,
        company_domain=DEMO,
        token_endpoint=f"{args.beproduct}/ids/connect/token",
        public_api_url=args.beproduct,
    )
    security = components.Security(username=DEMO, password=DEMO)
    with Moov(server_url=args.moov, security=security) as target:
        copied = copy_all(source, target, args.account)
    print(f"copied {copied}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
