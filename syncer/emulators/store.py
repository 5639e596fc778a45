"""Catalog storage shared by the vendor emulators.

A catalog holds *owners* (BeProduct folders, Moov accounts, Partium part types, Spiffy products and
collections) and *images*. Each image keeps its bytes in a content-addressed blob store, so the same
bytes stored twice cost one copy, and its vendor-specific metadata in ``fields``.

Storage is in memory. With a data directory it is also persisted: blobs as files named by their
sha256, and every mutation appended as one JSON line to ``journal.jsonl``. A restarted emulator
replays the journal; a killed one loses at most the line being written (a torn last line is
ignored). The journal is compacted to a snapshot on open, so it does not grow across restarts.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

JOURNAL = "journal.jsonl"
BLOBS = "blobs"


@dataclass(slots=True)
class Owner:
    """Something images hang off: a folder, an account, a part type, a product or a collection."""

    id: str
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(slots=True)
class StoredImage:
    """One image as an emulator keeps it; ``fields`` holds the vendor's own metadata."""

    id: str
    owner: str
    filename: str
    mime: str
    size: int
    sha256: str
    created_at: str
    updated_at: str
    fields: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False
    seq: int = 0


class BlobStore:
    """Image bytes by sha256, in memory or as files under a directory."""

    def __init__(self, directory: Path | None) -> None:
        self._dir = directory
        self._memory: dict[str, bytes] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self._dir is None:
            self._memory.setdefault(digest, data)
            return digest
        path = self._dir / digest
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest

    def get(self, digest: str) -> bytes:
        if self._dir is None:
            return self._memory[digest]
        return (self._dir / digest).read_bytes()

    def clear(self) -> None:
        self._memory.clear()
        if self._dir is not None:
            for path in self._dir.iterdir():
                path.unlink()


class CatalogStore:
    """Owners and images with stable insertion order, optionally persisted under ``data_dir``."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self.blobs = BlobStore(data_dir / BLOBS if data_dir else None)
        self.owners: dict[str, Owner] = {}
        self.images: dict[str, StoredImage] = {}
        self.meta: dict[str, Any] = {}
        self._seq = 0
        self._order: list[int] = []  # sequence numbers of live images, ascending
        self._by_seq: dict[int, str] = {}
        self._by_owner: dict[str, list[int]] = {}  # the same, per owner
        self._journal: Any = None
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._replay(data_dir / JOURNAL)
            self._compact(data_dir / JOURNAL)

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.images)

    def is_empty(self) -> bool:
        return not self.images and not self.owners

    def image(self, image_id: str) -> StoredImage | None:
        return self.images.get(image_id)

    def data(self, image: StoredImage) -> bytes:
        return self.blobs.get(image.sha256)

    def iter_images(self, after_seq: int = 0, owner: str | None = None) -> Iterator[StoredImage]:
        """Images in insertion order (of one owner, or all), after the given sequence number.

        Safe against changes made while iterating: an image removed meanwhile is skipped.
        """
        order = self._order if owner is None else self._by_owner.get(owner, [])
        start = bisect.bisect_right(order, after_seq)
        for seq in order[start:]:
            image_id = self._by_seq.get(seq)
            if image_id is not None:
                yield self.images[image_id]

    def owners_of(self, kind: str | None = None) -> list[Owner]:
        owners = (o for o in self.owners.values() if kind is None or o.kind == kind)
        return sorted(owners, key=lambda o: o.seq)

    def images_of(self, owner_id: str) -> list[StoredImage]:
        """One owner's images in insertion order (indexed: no scan of the catalog)."""
        return list(self.iter_images(owner=owner_id))

    # -- writing -------------------------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def put_owner(self, owner: Owner) -> Owner:
        if owner.seq == 0:
            existing = self.owners.get(owner.id)
            owner.seq = existing.seq if existing else self.next_seq()
        self._apply_owner(owner)
        if self.data_dir is not None:  # asdict is costly: only when persisting
            self._log({"t": "owner", "v": asdict(owner)})
        return owner

    def put_blob(self, data: bytes) -> str:
        return self.blobs.put(data)

    def put_image(self, image: StoredImage) -> StoredImage:
        """Insert or replace an image; an existing id keeps its place in the order."""
        existing = self.images.get(image.id)
        if existing is not None:
            image.seq = existing.seq
        elif image.seq == 0:
            image.seq = self.next_seq()
        self._apply_image(image)
        if self.data_dir is not None:  # asdict is costly: only when persisting
            self._log({"t": "image", "v": asdict(image)})
        return image

    def remove_image(self, image_id: str) -> StoredImage | None:
        image = self._drop_image(image_id)
        if image is not None:
            self._log({"t": "drop", "id": image_id})
        return image

    def set_meta(self, key: str, value: Any) -> None:
        self.meta[key] = value
        self._log({"t": "meta", "k": key, "v": value})

    def clear(self) -> None:
        self.owners.clear()
        self.images.clear()
        self.meta.clear()
        self._order.clear()
        self._by_seq.clear()
        self._by_owner.clear()
        self._seq = 0
        self.blobs.clear()
        if self.data_dir is not None:
            self._compact(self.data_dir / JOURNAL)

    def __enter__(self) -> CatalogStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the journal; the store stays usable, and a later write reopens it."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # -- internals -----------------------------------------------------------------------------

    def _apply_owner(self, owner: Owner) -> None:
        self.owners[owner.id] = owner
        self._seq = max(self._seq, owner.seq)

    def _apply_image(self, image: StoredImage) -> None:
        previous = self.images.get(image.id)
        if previous is None:
            bisect.insort(self._order, image.seq)
            self._by_seq[image.seq] = image.id
        if previous is None or previous.owner != image.owner:
            if previous is not None:
                self._unindex_owner(previous)
            bisect.insort(self._by_owner.setdefault(image.owner, []), image.seq)
        self.images[image.id] = image
        self._seq = max(self._seq, image.seq)

    def _unindex_owner(self, image: StoredImage) -> None:
        seqs = self._by_owner[image.owner]
        del seqs[bisect.bisect_left(seqs, image.seq)]
        if not seqs:
            del self._by_owner[image.owner]

    def _drop_image(self, image_id: str) -> StoredImage | None:
        image = self.images.pop(image_id, None)
        if image is not None:
            index = bisect.bisect_left(self._order, image.seq)
            del self._order[index]
            del self._by_seq[image.seq]
            self._unindex_owner(image)
        return image

    def _log(self, entry: dict[str, Any]) -> None:
        if self.data_dir is None:
            return
        if self._journal is None:  # closed, then written again: keep persisting
            self._journal = (self.data_dir / JOURNAL).open("a", encoding="utf-8")
        self._journal.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self._journal.flush()

    def _replay(self, path: Path) -> None:
        if not path.exists():
            return
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    break  # a torn last line from a killed emulator
                self._replay_entry(entry)

    def _replay_entry(self, entry: dict[str, Any]) -> None:
        kind = entry["t"]
        if kind == "owner":
            self._apply_owner(Owner(**entry["v"]))
        elif kind == "image":
            self._apply_image(StoredImage(**entry["v"]))
        elif kind == "drop":
            self._drop_image(entry["id"])
        elif kind == "meta":
            self.meta[entry["k"]] = entry["v"]
        elif kind == "seq":
            self._seq = max(self._seq, entry["v"])

    def _compact(self, path: Path) -> None:
        """Rewrite the journal as a snapshot of the current state, then keep appending to it."""
        self.close()
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(json.dumps({"t": "seq", "v": self._seq}) + "\n")
            for owner in self.owners_of():
                out.write(json.dumps({"t": "owner", "v": asdict(owner)}) + "\n")
            for image in self.iter_images():
                out.write(json.dumps({"t": "image", "v": asdict(image)}) + "\n")
            for key, value in self.meta.items():
                out.write(json.dumps({"t": "meta", "k": key, "v": value}) + "\n")
        os.replace(tmp, path)
        self._journal = path.open("a", encoding="utf-8")
