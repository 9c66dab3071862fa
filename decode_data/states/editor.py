"""The file tree and the editor: open a file, autosave what the learner types, say it is saved.

Typing sends the whole document to `edit`; a background task saves it once the learner pauses,
so a burst of keystrokes is one save. Before saving it checks that the file on disk is still
the one this tab loaded: another tab's newer save is never overwritten silently.

A sibling of the runner and the checker under LessonState: a keystroke loads this state and
its parents only. It owns the open file and the error line marked in it; the others ask it
to save (`_flush`) or to show a line (`open_at`).
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from decode_data.services.outages import couldnt_save, outage_reason
from decode_data.services.save_policy import PathRejected, SaveRejected
from decode_data.services.workspace import list_files, read_file, save_file
from decode_data.states.lesson import LessonState
from decode_data.states.view_models import FileItem, file_items, node_name_of, step_file

AUTOSAVE_PAUSE_S = 0.8
RETRY_FIRST_S = 1.0  # a save that met an outage (disk full, database away) is tried again,
RETRY_MAX_S = 10.0  # waiting twice as long each time up to this,
RETRY_FOR_S = 900.0  # for this long (a closed tab must not retry forever); typing starts again


def _read(session, user, lesson, path: str) -> str:
    return read_file(user, lesson, path)


def _files(session, user, lesson) -> list[dict]:
    return list_files(user, lesson)


def _save_if_unchanged(session, user, lesson, path: str, text: str, base: str | None) -> str:
    """'saved', or 'conflict' when the file on disk is no longer what this tab loaded
    (base None: the learner chose to overwrite whatever is there)."""
    current = read_file(user, lesson, path)
    if base is not None and current != base and current != text:
        return "conflict"
    if current != text:
        save_file(session, user, lesson, path, text)
    return "saved"


class EditorState(LessonState):
    files: list[FileItem] = []
    path: str = ""
    editable: bool = False
    loaded_text: str = ""  # what the editor (re)mounts with; not updated while typing
    doc_key: str = ""
    save_status: str = ""  # "", unsaved, saving, saved, conflict, error, retrying
    save_error: str = ""
    error_line: int = 0

    @rx.var
    def current_node(self) -> str:
        """The dbt node the open file defines ('' for yml, md...): what Run selects by default."""
        return node_name_of(self.path)

    _draft: str = ""
    _base: str = ""  # the file as this tab last read or wrote it
    _last_edit: float = 0.0
    _saving: bool = False
    _version: int = 0

    async def _reload_files(self) -> None:
        self.files = file_items(await self._with_learner(_files))
        if not self.path or self.path not in {f.path for f in self.files}:
            self.path = self._default_path()
        if self.path:
            await self._open(self.path)

    def _default_path(self) -> str:
        step = next((s for s in self._lesson().steps if s.id == self.step_id), None)
        editable = [f.path for f in self.files if f.editable]
        if step is None:
            return editable[0] if editable else (self.files[0].path if self.files else "")
        return step_file(step, editable) or (self.files[0].path if self.files else "")

    async def _open(self, path: str, line: int = 0) -> None:
        text = await self._with_learner(_read, path)
        self.path, self.loaded_text, self._draft, self._base = path, text, text, text
        self.editable = any(f.path == path and f.editable for f in self.files)
        self.error_line, self.save_status, self.save_error = line, "", ""
        self._version += 1
        self.doc_key = f"{path}#{self._version}"

    async def _switch_to(self, path: str) -> None:
        if path == self.path and not self.error_line:
            return
        await self._flush()
        if self.save_status == "retrying":
            return  # an edit not stored yet stays open (and retried) rather than dropped
        try:
            await self._open(path)
        except (PathRejected, FileNotFoundError):
            self.save_status, self.save_error = "error", f"{path} cannot be opened."

    @rx.event
    async def open_file(self, path: str):
        await self._switch_to(path)

    async def open_at(self, path: str, line: int) -> None:
        """Show the learner's error where it is: open the file and mark the line."""
        if path and path != self.path:
            await self._flush()
            if self.save_status == "retrying":
                return
            await self._open(path, line)
        else:
            self.error_line = line

    @rx.event
    def edit(self, text: str):
        if not self.editable:
            return None
        self._draft, self._last_edit, self.error_line = text, time.monotonic(), 0
        if self.save_status not in ("conflict", "retrying"):
            self.save_status = "unsaved"
        if not self._saving:
            self._saving = True
            return EditorState.autosave
        return None

    @rx.event(background=True)
    async def autosave(self):
        """Save once typing pauses; after an outage keep the edit and try again until it is stored."""
        while True:
            await asyncio.sleep(AUTOSAVE_PAUSE_S)
            async with self:
                if time.monotonic() - self._last_edit >= AUTOSAVE_PAUSE_S:
                    break
        wait_s, give_up_at = RETRY_FIRST_S, time.monotonic() + RETRY_FOR_S
        while True:
            async with self:
                try:
                    await self._save()
                    if self.save_status == "retrying" and time.monotonic() > give_up_at:
                        self.save_status = "error"  # still kept: the next edit or run tries again
                        self.save_error = self.save_error.replace("we'll retry", "type or run to try again")
                    if self.save_status != "retrying":
                        self._saving = False
                        return
                except BaseException:
                    self._saving = False  # a failed save must not stop the next autosave
                    raise
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, RETRY_MAX_S)

    @rx.event
    def keep_retrying(self):
        """The page shows "we'll retry" (after a save that was not an autosave, e.g. before a run):
        make sure a retry loop runs, without starting a second one."""
        if self.save_status == "retrying" and not self._saving:
            self._saving = True
            return EditorState.autosave
        return None

    async def _save(self, force: bool = False) -> None:
        if self.save_status in ("", "saved") or (self.save_status == "conflict" and not force):
            return
        text, base = self._draft, (None if force else self._base)
        self.save_status = "saving"
        try:
            outcome = await self._with_learner(_save_if_unchanged, self.path, text, base)
        except (SaveRejected, PathRejected) as exc:
            self.save_status, self.save_error = "error", exc.reason
            return
        except Exception as exc:
            reason = outage_reason(exc)
            if reason is None:
                self.save_status = "error"
                raise
            # Nothing is lost: the text stays in the editor (and in _draft) and autosave retries.
            self.save_status, self.save_error = "retrying", couldnt_save(reason)
            return
        self.save_status, self.save_error = outcome, ""
        if outcome == "saved":
            self._base = text
        else:
            self.save_error = "This file was changed in another tab. Keep your version or load the other one."

    async def _flush(self) -> None:
        """Save pending typing now: before running dbt, switching files or checking work."""
        if self.save_status in ("unsaved", "error", "retrying"):
            await self._save()

    @rx.event
    async def keep_mine(self):
        self.save_status = "unsaved"
        await self._save(force=True)

    @rx.event
    async def load_theirs(self):
        await self._open(self.path)
