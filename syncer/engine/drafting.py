"""A plan kept as data: what ``syncer plan`` decided, made into the report model's entries as the
intake and the sweep decide it (:mod:`syncer.plans.model`).

Each planner entry becomes one :class:`~syncer.plans.model.Entry`: the changed fields old → new
(marked where the target cannot change them), the old and new files (sha256, size, type, pixel
size; for a conversion or a shrink, of the bytes that will be pushed, computed now), warnings
from the target's constraints, a thumbnail under a budget, and what ``syncer apply`` needs: the
journal op, and what the state held of the item when it was planned (its link and source record,
as digests), so an apply can tell what changed since. Entries go to a temporary file as they are
made (:class:`~syncer.plans.jsonfile.EntryLog`), so a plan's memory does not grow with its size.
Secrets never reach an entry: the job's secret values are masked in every string of every entry
written (values shorter than :data:`MASKED_FROM` characters, such as the emulators' ``demo`` keys,
are left: masking them would garble file names, and no real credential is that short).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp
import anyio

from syncer.engine.constraints import Shown, disabled_duplicate, over_limit, shown_image
from syncer.engine.entries import (
    apply,
    changes,
    conversion,
    job_settings,
    limit_notes,
    masked,
    unreadable,
)
from syncer.engine.fetch import Bytes, Unreadable
from syncer.engine.old_images import Wanted, read_back
from syncer.engine.ops import Create, Payload
from syncer.engine.plan import UNCHANGED, Action, Planned
from syncer.engine.planner import PagePlan
from syncer.engine.targets import Target
from syncer.errors import SyncerError
from syncer.http.redact import Redactor
from syncer.jobs import Job
from syncer.plans.jsonfile import EntryLog
from syncer.plans.model import Document, Entry, FileFacts, Header, Kind, Note, Summary
from syncer.records import ImageRecord
from syncer.state import ItemState, LinkRow, ListingState, NewOp, StateStore

log = logging.getLogger("syncer.engine")

#: Bytes of embedded thumbnails a plan holds at most (the HTML page's size stays bounded).
THUMB_BUDGET = 6_000_000
#: The shortest secret value masked in a plan's entries.
MASKED_FROM = 6
#: How long a saved plan may be applied, by default.
DEFAULT_EXPIRY = timedelta(hours=24)


class PlanDraft:
    """Collects the entries of one ``syncer plan`` run; :meth:`document` makes the plan."""

    def __init__(
        self,
        job: Job,
        store: StateStore,
        targets: Sequence[Target],
        bytes_: Bytes,
        *,
        secrets: Sequence[str] = (),
        thumb_budget: int = THUMB_BUDGET,
        list_unchanged: bool = False,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.job = job
        self.store = store
        self.targets = {t.name: t for t in targets}
        self.bytes = bytes_
        #: List the unchanged items as entries too (they are always counted).
        self.list_unchanged = list_unchanged
        #: Reads the old images the plan lacks back from the targets (None: it does not).
        self.session = session
        self.wanted = Wanted()
        self.summary = Summary()
        for target in targets:
            self.summary.tally(target.name, target.config.vendor)
        self.log = EntryLog()
        self.thumbnails: dict[str, str] = {}
        self._thumb_left = thumb_budget
        long_enough = [secret for secret in secrets if len(secret) >= MASKED_FROM]
        self._redact = Redactor(long_enough)
        self._secrets = bool(long_enough)
        #: Per soft-delete target, the bytes of items it only disabled (duplicates there).
        self._disabled: dict[str, set[str]] = {}
        #: Per target with a display limit, what the plan makes of each item it touches:
        #: ``(owner, position, target id)`` of a display image, None for one that is not.
        self._display: dict[str, dict[str, Shown | None]] = {
            t.name: {} for t in targets if t.capabilities.display_limit
        }

    async def start(self) -> None:
        """Read what the warnings need before the listing starts."""
        for name, target in self.targets.items():
            if target.capabilities.soft_delete:
                self._disabled[name] = await self.store.deleted_shas(self.job.name, name)

    # -- entries -----------------------------------------------------------------------------

    async def add_page(
        self,
        plan: PagePlan,
        state: ListingState,
        records: Sequence[ImageRecord | Unreadable],
    ) -> None:
        """The entries of one planned page (or one record of it)."""
        listed = {r.key: r for r in records if isinstance(r, ImageRecord)}
        ops = {(op.target, op.key): op for op in plan.ops}
        for name, count in plan.unchanged.items():
            self.summary.count_unchanged(name, count)
        if self.list_unchanged:
            for name, keys in plan.unchanged_keys.items():
                for key in keys:
                    self._keep_unchanged(
                        name, key, listed.get(key), state.links.get(name, {}).get(key)
                    )
        for record in records:
            if isinstance(record, Unreadable):
                for name in self.targets:
                    self._keep(unreadable(name, record))
        for planned in plan.entries:
            if planned.action is Action.SKIP and planned.code == UNCHANGED:
                self.summary.count_unchanged(planned.target, 1)
                if self.list_unchanged:
                    link = state.links.get(planned.target, {}).get(planned.key)
                    self._keep_unchanged(planned.target, planned.key, listed.get(planned.key), link)
                continue
            link = state.links.get(planned.target, {}).get(planned.key)
            prior = state.items.get(planned.key)
            op = ops.get((planned.target, planned.key))
            entry = await self._entry(planned, listed.get(planned.key), link, prior, op)
            self._keep(entry)

    async def add_deletes(self, new: Sequence[NewOp]) -> None:
        """The sweep's deletes (journal entries, as the sweep makes them)."""
        by_target: dict[str, list[NewOp]] = {}
        for op in new:
            by_target.setdefault(op.target, []).append(op)
        for name, deletes in by_target.items():
            keys = [op.key for op in deletes]
            links = await self.store.links(self.job.name, name, keys)
            items = await self.store.items(self.job.name, keys)
            soft = self.targets[name].capabilities.soft_delete
            for op in deletes:
                payload = Payload.from_json(op.payload)
                record = payload.record
                item = items.get(op.key)
                entry = Entry(
                    target=name,
                    key=op.key,
                    action="delete",
                    code="gone_soft_delete" if soft else "gone_at_source",
                    reason=payload.reason,
                    filename=record.filename,
                    owner=record.owner,
                    target_id=op.target_id,
                    old=await self._file_of(
                        record.sha256,
                        record.size,
                        record.mime,
                        want=(name, op.target_id, record.owner),
                    ),
                    apply=apply(op, links.get(op.key), item.meta_hash if item else None, None),
                )
                self._keep(entry)

    async def finish(self) -> None:
        """The warnings that need the whole plan: owners that would show more display images
        than their target shows (Partium: five), and which ones it would hide."""
        hidden: dict[tuple[str, str], str] = {}
        for name, planned in self._display.items():
            limit = self.targets[name].capabilities.display_limit
            if not planned or not limit:
                continue
            shown = await self._displayed(name)
            shown.update(planned)
            for owner, text in over_limit(name, shown, limit).items():
                hidden[(name, owner)] = text
                self.note("display_limit", text)
        if hidden:
            self._rewrite(hidden)
        if self.session is not None and self.wanted.count:
            await read_back(self.wanted, self.targets, self.session, self.bytes.thumbs, self._embed)

    async def _displayed(self, target: str) -> dict[str, Shown | None]:
        """The display images the target holds now, by what syncer last pushed there."""
        found: dict[str, Shown | None] = {}
        for key, target_id, meta in await self.store.pushed_metadata(self.job.name, target):
            found[key] = shown_image(
                meta.get("owner"), meta.get("position"), meta.get("roles"), target_id
            )
        return found

    def _rewrite(self, hidden: dict[tuple[str, str], str]) -> None:
        """The entries again, with a warning on each one of an owner over its limit."""
        old, self.log = self.log, EntryLog()
        with old:
            for entry in old:
                text = hidden.get((entry.target, entry.owner or ""))
                if text is not None and entry.action in ("create", "update", "replace"):
                    entry = replace(entry, warnings=(*entry.warnings, Note("display_limit", text)))
                    self.summary.tally(entry.target).warnings += 1
                self.log.add(entry)

    def note(self, code: str, text: str) -> None:
        self.summary.notes.append(Note(code, self._redact(text)))

    def _keep_unchanged(
        self, target: str, key: str, record: ImageRecord | None, link: LinkRow | None
    ) -> None:
        """An unchanged item as an entry (counted already, so not added to the summary)."""
        entry = Entry(
            target,
            key,
            "skip",
            UNCHANGED,
            "in step with the source",
            filename=record.filename if record else None,
            target_id=link.target_id if link else None,
        )
        self.log.add(masked(entry, self._redact) if self._secrets else entry)

    def _keep(self, entry: Entry) -> None:
        if self._secrets:
            entry = masked(entry, self._redact)
        self.summary.add(entry)
        self.log.add(entry)

    async def _entry(
        self,
        planned: Planned,
        listed: ImageRecord | None,
        link: LinkRow | None,
        prior: ItemState | None,
        op: NewOp | None,
    ) -> Entry:
        """The report entry of one planner entry, with the files before and after."""
        target = self.targets[planned.target]
        record = planned.record or listed
        if planned.target in self._display and record and planned.action is not Action.SKIP:
            self._display[planned.target][planned.key] = shown_image(
                record.owner, record.position, record.roles, planned.target_id or planned.key
            )
        new, warnings = await self._new_file(planned, record, target)
        return Entry(
            target=planned.target,
            key=planned.key,
            action=planned.action.value,
            code=planned.code or "other",
            reason=planned.reason,
            filename=record.filename if record else None,
            owner=record.owner if record else None,
            target_id=planned.target_id,
            changes=changes(planned, target),
            old=await self._old_file(planned, link, prior),
            new=new,
            convert=conversion(planned, record),
            shrink_to=planned.shrink_to,
            moves_owner=planned.moves_owner,
            warnings=tuple(warnings),
            apply=None if op is None else apply(op, link, prior.digest if prior else None, new),
        )

    async def _new_file(
        self, planned: Planned, record: ImageRecord | None, target: Target
    ) -> tuple[FileFacts | None, list[Note]]:
        """The file a create or replace pushes, and the warnings of the target's limits."""
        new, warnings = None, list(limit_notes(planned, target))
        if planned.action in (Action.CREATE, Action.REPLACE) and record is not None:
            new, failure = await self._pushed_file(planned, record)
            if failure:
                warnings.append(Note("conversion_fails", failure))
            elif new is not None and new.sha256 in self._disabled.get(planned.target, ()):
                warnings.append(disabled_duplicate(target))
        return new, warnings

    async def _old_file(
        self, planned: Planned, link: LinkRow | None, prior: ItemState | None
    ) -> FileFacts | None:
        """The file a replace or update finds on the target (what the link says was pushed)."""
        if planned.action not in (Action.REPLACE, Action.UPDATE) or link is None:
            return None
        same = prior is not None and prior.sha256 == link.sha256
        owner = (planned.previous or {}).get("owner")
        want = (planned.target, link.target_id, owner if isinstance(owner, str) else None)
        return await self._file_of(
            link.sha256,
            prior.size if same and prior else None,
            prior.mime if same and prior else None,
            want=want if planned.action is Action.REPLACE else None,
        )

    async def _pushed_file(
        self, planned: Planned, record: ImageRecord
    ) -> tuple[FileFacts | None, str | None]:
        """The file the op will push (converted or shrunk as planned), and why it cannot be
        made when it cannot (the op would fail the same way)."""
        payload = Payload(
            planned.reason, record, convert_to=planned.convert_to, shrink_to=planned.shrink_to
        )
        try:
            blob = await self.bytes.for_op(Create(0, planned.target, planned.key, payload))
        except SyncerError as exc:
            return FileFacts(record.sha256, record.size, record.mime), str(exc)
        return await self._file_of(blob.sha256, blob.size, blob.mime), None

    async def _file_of(
        self,
        sha256: str | None,
        size: int | None,
        mime: str | None,
        *,
        want: tuple[str, str | None, str | None] | None = None,
    ) -> FileFacts | None:
        """What a file is, with its pixel size and a thumbnail when the spool has its bytes;
        ``want``: the target, id and owner of an old image, read back from the target at the
        plan's end when no thumbnail of it was kept."""
        if sha256 is None:
            return None if size is None and mime is None else FileFacts(None, size, mime)
        blob = await self.bytes.spool.get(sha256)
        if blob is None:  # gone from the spool: its thumbnail, if a run kept one
            kept = await anyio.to_thread.run_sync(self.bytes.thumbs.get, sha256)
            if kept is None:
                if want is not None:
                    self.wanted.add(want[0], want[1], sha256, want[2])
                return FileFacts(sha256, size, mime)
            self._embed(sha256, kept.uri)
            return FileFacts(sha256, size, mime, kept.width, kept.height)
        from syncer.spool import thumbs

        pixels = await anyio.to_thread.run_sync(thumbs.pixel_size, blob.path)
        if sha256 not in self.thumbnails and self._thumb_left > 0:
            made = await anyio.to_thread.run_sync(thumbs.make_thumbnail, blob.path)
            if made is not None:
                self._embed(sha256, made)
        width, height = pixels if pixels else (None, None)
        return FileFacts(sha256, blob.size, blob.mime or mime, width, height)

    def _embed(self, sha256: str, uri: str) -> None:
        """Embed a thumbnail while the plan's budget lasts."""
        if sha256 not in self.thumbnails and len(uri) <= self._thumb_left:
            self.thumbnails[sha256] = uri
            self._thumb_left -= len(uri)

    # -- the document ------------------------------------------------------------------------

    def document(
        self, *, mode: str, listing: str, created: datetime, expires: timedelta = DEFAULT_EXPIRY
    ) -> Document:
        """The plan: its header (a new id, the job's settings, when it expires), the summary
        and the entries kept so far."""
        path = self.job.path
        header = Header(
            kind=Kind.PLAN,
            job=self.job.name,
            created_at=created.isoformat(),
            id=uuid.uuid4().hex,
            mode=mode,
            source=self.job.source.vendor,
            listing=listing,
            expires_at=(created + expires).isoformat(),
            job_file=str(path) if path else None,
            settings=job_settings(self.job, list(self.targets.values())),
        )
        return Document(header, self.summary, lambda: iter(self.log), self.thumbnails)

    def entries(self) -> Iterator[Entry]:
        """The entries kept so far."""
        return iter(self.log)

    def close(self) -> None:
        self.log.close()


__all__ = ["PlanDraft"]
