from __future__ import annotations

from pathlib import Path

from syncer.emulators.store import JOURNAL, CatalogStore, Owner, StoredImage


def _image(store: CatalogStore, image_id: str, data: bytes, owner: str = "o1") -> StoredImage:
    digest = store.put_blob(data)
    return StoredImage(
        id=image_id,
        owner=owner,
        filename=f"{image_id}.png",
        mime="image/png",
        size=len(data),
        sha256=digest,
        created_at="t0",
        updated_at="t0",
    )


def test_insertion_order_survives_replace_and_delete() -> None:
    store = CatalogStore()
    for name in ("a", "b", "c"):
        store.put_image(_image(store, name, name.encode()))
    store.put_image(_image(store, "a", b"new bytes"))  # replacing keeps the place
    store.remove_image("b")
    assert [i.id for i in store.iter_images()] == ["a", "c"]
    assert store.data(store.images["a"]) == b"new bytes"


def test_iter_after_a_sequence_number_resumes_after_it() -> None:
    store = CatalogStore()
    seqs = [store.put_image(_image(store, f"i{n}", bytes([n]))).seq for n in range(5)]
    assert [i.id for i in store.iter_images(after_seq=seqs[1])] == ["i2", "i3", "i4"]
    store.remove_image("i2")
    assert [i.id for i in store.iter_images(after_seq=seqs[2])] == ["i3", "i4"]


def test_images_of_an_owner_follow_moves_and_deletes() -> None:
    store = CatalogStore()
    for name, owner in (("a", "o1"), ("b", "o2"), ("c", "o1"), ("d", "o2")):
        store.put_image(_image(store, name, name.encode(), owner=owner))
    store.put_image(_image(store, "b", b"b", owner="o1"))  # moved to o1, keeps its place
    store.remove_image("c")
    assert [i.id for i in store.images_of("o1")] == ["a", "b"]
    assert [i.id for i in store.images_of("o2")] == ["d"]
    assert store.images_of("nobody") == []
    first = store.images["a"].seq
    assert [i.id for i in store.iter_images(after_seq=first, owner="o1")] == ["b"]


def test_same_bytes_are_stored_once(tmp_path: Path) -> None:
    with CatalogStore(tmp_path) as store:
        store.put_image(_image(store, "a", b"same"))
        store.put_image(_image(store, "b", b"same"))
    assert len(list((tmp_path / "blobs").iterdir())) == 1


def test_reopened_store_has_the_same_catalog(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.put_owner(Owner(id="o1", kind="folder", fields={"name": "One"}))
    for name in ("a", "b", "c"):
        store.put_image(_image(store, name, name.encode()))
    store.remove_image("b")
    store.set_meta("next_id", 42)
    store.close()

    with CatalogStore(tmp_path) as again:
        assert [i.id for i in again.iter_images()] == ["a", "c"]
        assert again.owners["o1"].fields == {"name": "One"}
        assert again.meta == {"next_id": 42}
        assert again.data(again.images["c"]) == b"c"
        # New items continue the sequence instead of reusing a number.
        added = again.put_image(_image(again, "d", b"d"))
        assert added.seq > again.images["c"].seq


def test_a_torn_last_journal_line_is_ignored(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.put_image(_image(store, "a", b"a"))
    store.close()
    with (tmp_path / JOURNAL).open("a") as journal:
        journal.write('{"t":"image","v":{"id":"b"')  # killed mid-write
    with CatalogStore(tmp_path) as again:
        assert [i.id for i in again.iter_images()] == ["a"]


def test_writes_after_close_are_still_persisted(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.close()  # an app cleanup, say, then the store is served again
    store.put_image(_image(store, "late", b"late"))
    store.close()
    with CatalogStore(tmp_path) as again:
        assert [i.id for i in again.iter_images()] == ["late"]


def test_clear_empties_memory_and_disk(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.put_image(_image(store, "a", b"a"))
    store.clear()
    store.close()
    with CatalogStore(tmp_path) as again:
        assert again.is_empty()
    assert list((tmp_path / "blobs").iterdir()) == []
