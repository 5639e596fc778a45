"""A fixed plan document for the renderers' tests and the browser test: every action, a skip per
reason, warnings, a conversion, an owner move, and a hostile file name."""

from __future__ import annotations

import base64
import io

from PIL import Image

from syncer.plans.model import Change, Document, Entry, FileFacts, Header, Kind, Note, Summary

HOSTILE = '"><script>alert(1)</script>.jpg'


def thumb(color: tuple[int, int, int]) -> str:
    """A tiny embedded PNG of one colour, as the HTML page embeds thumbnails."""
    out = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def sha(n: int) -> str:
    return f"{n:064x}"


def sample_entries() -> list[Entry]:
    return [
        Entry(
            "shop",
            "k1",
            "create",
            "new_item",
            "new item",
            filename="red.jpg",
            owner="p1",
            new=FileFacts(sha(1), 2048, "image/jpeg", 640, 480),
        ),
        Entry(
            "shop",
            "k2",
            "create",
            "new_item",
            "new item",
            filename=HOSTILE,
            owner="p1",
            new=FileFacts(sha(2), 4096, "image/png", 800, 600),
            convert="image/webp → image/png",
        ),
        Entry(
            "shop",
            "k3",
            "replace",
            "bytes_changed",
            "bytes changed",
            filename="blue.jpg",
            owner="p2",
            target_id="t3",
            old=FileFacts(sha(3), 1000, "image/jpeg", 100, 100),
            new=FileFacts(sha(4), 3000, "image/jpeg", 200, 200),
        ),
        Entry(
            "shop",
            "k4",
            "update",
            "metadata_changed",
            "alt, title changed",
            filename="green.jpg",
            owner="p2",
            target_id="t4",
            changes=(
                Change("alt", "old alt", "new alt"),
                Change("title", "A", "B"),
                Change("position", 1, 2, applies=False),
            ),
        ),
        Entry(
            "shop",
            "k5",
            "delete",
            "gone_at_source",
            "gone at the source",
            filename="gone.jpg",
            owner="p3",
            target_id="t5",
            old=FileFacts(sha(5), 500, "image/jpeg", 50, 50),
        ),
        Entry(
            "shop",
            "k6",
            "skip",
            "unsupported_type",
            "shop does not take image/tiff",
            filename="scan.tiff",
        ),
        Entry(
            "parts",
            "k1",
            "create",
            "new_item",
            "new item",
            filename="red.jpg",
            owner="P-1",
            new=FileFacts(sha(1), 2048, "image/jpeg", 640, 480),
            warnings=(
                Note(
                    "display_limit",
                    "part P-1 would have 6 display images; Partium shows 5 and hides k1",
                ),
            ),
        ),
        Entry(
            "parts",
            "k7",
            "replace",
            "owner_moved",
            "owner changed (P-1 → P-2)",
            filename="moved.jpg",
            owner="P-2",
            target_id="t7",
            moves_owner=True,
            changes=(Change("owner", "P-1", "P-2"),),
            old=FileFacts(sha(7), 700, "image/jpeg", 70, 70),
            new=FileFacts(sha(7), 700, "image/jpeg", 70, 70),
        ),
        Entry(
            "parts",
            "k8",
            "create",
            "new_item",
            "new item",
            filename="huge.png",
            owner="P-3",
            new=FileFacts(sha(8), 9_000_000, "image/png", 4000, 3000),
            shrink_to=5_000_000,
            warnings=(
                Note(
                    "over_byte_limit",
                    "9000000 bytes is over parts's limit of 5000000: shrunk to fit",
                ),
            ),
        ),
    ]


def sample_document() -> Document:
    header = Header(
        Kind.PLAN,
        "demo",
        "2026-12-04T10:00:00+00:00",
        id="plan-1",
        mode="sync",
        source="partium",
        listing="full",
        expires_at="2026-12-05T10:00:00+00:00",
    )
    summary = Summary()
    for name, vendor in (("shop", "spiffy"), ("parts", "partium")):
        summary.tally(name, vendor)
    entries = sample_entries()
    for entry in entries:
        summary.add(entry)
    summary.count_unchanged("shop", 12)
    summary.count_unchanged("parts", 3)
    summary.notes.append(Note("renditions_only", "the source serves renditions, not originals"))
    summary.facts["listed"] = 20
    thumbs = {
        sha(1): thumb((200, 0, 0)),
        sha(2): thumb((0, 0, 200)),
        sha(3): thumb((0, 90, 0)),
        sha(4): thumb((0, 200, 0)),
        sha(5): thumb((90, 90, 90)),
        sha(7): thumb((200, 200, 0)),
        sha(8): thumb((0, 200, 200)),
    }
    return Document.of(header, entries, summary=summary, thumbnails=thumbs)
