"""Building an edited FAQ's matcher in a forked process, handed back as memory-mapped files.

At 100,000 phrasings a reload is about a second of Python and NumPy work. On a thread of
the serving process it held the GIL for 10-60 ms at a time, and answers waited on it: p99
rose from 6 ms to 64-102 ms while reloading. A forked child does the work on its own core,
from a copy-on-write view of the served matcher (so an edit still costs only what it
changed), and hands the result back through a temporary folder:

- NumPy arrays (and an HNSW graph changed by the edit, as the bytes of its file) travel out
  of band (pickle protocol 5) in one file, which this process maps: no copy, no GIL held
  while pages come in. The encoder, and the graph when the edit left it shared
  (matching/vector_index.py), are not sent: this process has them;
- the large Python containers (entries, phrasings, parsed files) mostly hold objects this
  process already has. They travel as slices of the served matcher's, joined here in C;
  only new objects are pickled, `FRAME` at a time (a large list among them, such as an edited
  file's parsed entries, its items first), each container joined in a frame of its own, and
  the frames are unpickled `SLICE_S` at a time with a pause between, so an answer never
  waits long for the interpreter.

The files are unlinked as soon as they are mapped: the mapping keeps them while the matcher
is served, and nothing is left behind. Without `os.fork` (Windows), or where the files
cannot be written (a full disk), the matcher is built on the calling thread, as before.
"""

from __future__ import annotations

import gc
import io
import logging
import mmap
import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from faqbot.faq.schema import FaqError
from faqbot.matching.alignment import previous_rows, runs
from faqbot.matching.matcher import Matcher

log = logging.getLogger(__name__)

FRAME = 32  # new objects pickled together (32 parsed entries: 1-2 ms to unpickle)
STEP = 4096  # items of a container joined here at once (incrementing cold reference counts: about 1.5 ms)
SLICE_S = 0.001  # frames unpickled here before a pause
PAUSE_S = 0.005  # between slices, so that answers get the interpreter
TIMEOUT_S = 600.0  # a child silent this long is stopped (a lock some thread held at the fork)
ALIGN = 64  # bytes; where each array starts in the mapped file
ARRAYS, FRAMES = "arrays.bin", "frames.pickle"


class RebuildError(Exception):
    """The child process failed to build the matcher: it raised, died, or went silent."""


def build_forked(build: Callable[[], Matcher], served: Matcher,
                 after: Callable[[Matcher], None] = lambda matcher: None) -> Matcher:
    """`build()`'s matcher, built in a forked child and handed to this process. A FaqError
    raised by `build` is raised here; any other failure of the child is a RebuildError.
    `after(matcher)`: work nothing waits for (storing caches), done by the child once the
    matcher is handed over."""
    if not hasattr(os, "fork"):
        return _here(build, after)
    try:
        folder = Path(tempfile.mkdtemp(prefix="faqbot-handover-"))
    except OSError as exc:
        log.warning("no folder to hand the rebuilt FAQ over in (%s); building it in this process", exc)
        return _here(build, after)
    try:
        kind, detail = _run_child(build, served, folder, after)
        if kind == "problems":
            raise FaqError(detail)
        if kind == "error":
            raise RebuildError(detail)
        if kind == "unwritten":
            log.warning("could not hand the rebuilt FAQ over (%s); building it in this process", detail)
            return _here(build, after)
        return _receive(served, folder, *detail)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _here(build: Callable[[], Matcher], after: Callable[[Matcher], None]) -> Matcher:
    matcher = build()
    after(matcher)
    return matcher


def _run_child(build: Callable[[], Matcher], served: Matcher, folder: Path,
               after: Callable[[Matcher], None]) -> tuple[str, Any]:
    """Fork, build and write in the child; its outcome: ("built", (frames, layout)),
    ("problems", [Problem]), ("error", text) or ("unwritten", text). A child that built goes
    on with `after`, unwaited for; multiprocessing reaps it at the next start of one."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(build, served, folder, sending, after), name="faq-rebuild",
                            daemon=True)
    child.start()
    sending.close()
    outcome, silent = None, False
    try:
        silent = not receiving.poll(TIMEOUT_S)
        if not silent:
            outcome = receiving.recv()
    except EOFError:  # it died without a word: killed for memory, a crash in native code
        pass
    finally:
        receiving.close()
        if outcome is None:
            child.kill()
        if outcome is None or outcome[0] != "built":
            child.join()
    if outcome is None:
        how = "went silent and was stopped" if silent else f"died (exit code {child.exitcode})"
        return "error", f"the process rebuilding the FAQ {how}"
    return outcome


def _child(build: Callable[[], Matcher], served: Matcher, folder: Path, sending,
           after: Callable[[Matcher], None]) -> None:
    """In the child: build the matcher, write it, say how it went, then do `after`."""
    try:
        matcher = build()
    except FaqError as exc:
        sending.send(("problems", exc.problems))
        return
    except Exception as exc:  # noqa: BLE001 - reported where the reload is, as in-thread failures are
        log.exception("rebuilding the FAQ failed")
        sending.send(("error", repr(exc)))
        return
    try:
        with open(folder / ARRAYS, "wb") as arrays, open(folder / FRAMES, "wb") as frames:
            written = _write(matcher, served, arrays, frames)
    except Exception as exc:  # noqa: BLE001 - OSError on a full disk, usearch's RuntimeError
        sending.send(("unwritten", repr(exc)))
        return
    sending.send(("built", written))  # once the files are closed: whole for the server to read
    sending.close()
    os.nice(19)  # nothing waits for what is left: the server's threads come first
    try:
        after(matcher)
    except Exception:  # noqa: BLE001 - the served matcher is this one's already; only a cache is missed
        log.exception("storing the rebuilt FAQ's caches failed")


def _pieces(new: Sequence, old: Sequence) -> list[tuple]:
    """`new` as ("old", start, stop), slices of `old`, and ("new", frames), runs of its own
    objects in lists of at most FRAME. At the ends an edit keeps, an equal object is as good
    as the new one; between them, only the same object is."""
    where = previous_rows(new, old, key=id)
    pieces = []
    for start, stop in runs(where):
        if where[start] >= 0:
            pieces.append(("old", int(where[start]), int(where[start]) + stop - start))
        else:
            # lists: always new objects (a tuple of a whole tuple would be the container itself)
            pieces.append(("new", [list(new[i:min(i + FRAME, stop)]) for i in range(start, stop, FRAME)]))
    return pieces


class _Pickler(pickle.Pickler):
    """Pickles a matcher for the server: what it shares with the served one (the encoder, an
    HNSW graph) by name, its large containers as pieces of the served matcher's
    (`containers`), arrays out of band into `arrays`."""

    def __init__(self, frames: IO[bytes], arrays: IO[bytes], served: Matcher) -> None:
        super().__init__(frames, protocol=5, buffer_callback=self._out_of_band)
        self._arrays = arrays
        self._shared = {id(obj): ("shared", name) for name, obj in served.shared().items()}
        self.containers: dict[int, tuple] = {}  # id(container) -> its persistent id
        self.layout: list[tuple[int, int]] = []  # (offset, bytes) of each array in `arrays`

    def _out_of_band(self, buffer: pickle.PickleBuffer) -> bool:
        raw = buffer.raw()
        self._arrays.write(b"\0" * (-self._arrays.tell() % ALIGN))
        self.layout.append((self._arrays.tell(), raw.nbytes))
        self._arrays.write(raw)
        return False  # not in the pickle

    def persistent_id(self, obj: Any) -> tuple | None:
        if isinstance(obj, _Step):
            return obj.pid
        return self._shared.get(id(obj)) or self.containers.get(id(obj))


def _write(matcher: Matcher, served: Matcher, arrays: IO[bytes], frames: IO[bytes]) -> tuple[int, list]:
    """Pickle `matcher` into `frames` and `arrays`: first the new objects of its large
    containers, a frame each, then the matcher, which refers to them; (frames written, the
    arrays' layout)."""
    pickler = _Pickler(frames, arrays, served)
    containers = matcher.containers()  # held: the pickler knows them by identity
    count = 0
    for role, (new, old) in enumerate(zip(containers, served.containers())):
        if new is old or id(new) in pickler.containers:
            pickler.containers.setdefault(id(new), ("served", role))
            continue
        if isinstance(new, dict):
            parts = [_pieces(list(new), list(old)), _pieces(list(new.values()), list(old.values()))]
        else:
            parts = [_pieces(new, old)]
        for part, pieces in enumerate(parts):
            for frame in (frame for piece in pieces if piece[0] == "new" for frame in piece[1]):
                count += _dump_frame(pickler, frame)
            for step in _steps(pieces):  # joined a step at a time, a frame each
                pickler.dump(_Step(("extend", role, part, step)))
                count += 1
        pickler.containers[id(new)] = ("joined", role, type(new).__name__)
        pickler.dump(new)  # a frame of its own: a tuple or dict made of the joined lists
        count += 1
    pickler.dump(matcher)
    return count + 1, pickler.layout


@dataclass(frozen=True)
class _Step:
    """A frame's worth of joining: pickled as its persistent id alone."""

    pid: tuple


def _steps(pieces: list[tuple]) -> Iterator[list[tuple]]:
    """The pieces regrouped so that each group takes at most about STEP items of `old`."""
    step: list[tuple] = []
    size = 0
    for piece in pieces:
        if piece[0] == "new":
            step.append(piece)
            continue
        for start in range(piece[1], piece[2], STEP):
            stop = min(start + STEP, piece[2])
            if size and size + stop - start > STEP:
                yield step
                step, size = [], 0
            step.append(("old", start, stop))
            size += stop - start
    if step:
        yield step


def _dump_frame(pickler: _Pickler, frame: list) -> int:
    """Pickle one frame of new objects, the items of a large list or tuple among them first,
    a frame at a time (the pickler remembers them: the frame refers to them); frames written."""
    count = 0
    for obj in frame:
        if isinstance(obj, (list, tuple)) and len(obj) > FRAME:
            items = list(obj)
            count += sum(_dump_frame(pickler, items[i:i + FRAME]) for i in range(0, len(items), FRAME))
    pickler.dump(frame)
    return count + 1


class _Unpickler(pickle.Unpickler):
    def __init__(self, frames: IO[bytes], buffers: list[memoryview], served: Matcher) -> None:
        super().__init__(frames, buffers=buffers)
        self._shared = served.shared()
        self._containers = served.containers()
        self._parts: dict[tuple[int, int], list] = {}  # (role, part) -> joined so far
        self._joined: dict[int, Any] = {}  # role -> the container, made in its own frame

    def persistent_load(self, pid: tuple) -> Any:
        if pid[0] == "shared":
            return self._shared[pid[1]]
        role = pid[1]
        old = self._containers[role]
        if pid[0] == "served":
            return old
        if pid[0] == "extend":
            part, step = pid[2], pid[3]
            source = old if not isinstance(old, dict) else list(old) if part == 0 else list(old.values())
            self._parts.setdefault((role, part), []).extend(_joined(step, source))
            return None
        if role not in self._joined:
            kind = pid[2]
            parts = [self._parts.pop((role, part), []) for part in range(2 if kind == "dict" else 1)]
            self._joined[role] = dict(zip(*parts)) if kind == "dict" else tuple(parts[0]) if kind == "tuple" else parts[0]
        return self._joined[role]


def _joined(pieces: list[tuple], old: Sequence) -> list:
    out: list = []
    for piece in pieces:
        if piece[0] == "old":
            out.extend(old[piece[1]:piece[2]])
        else:
            for frame in piece[1]:
                out.extend(frame)
    return out


def _receive(served: Matcher, folder: Path, frames: int, layout: list[tuple[int, int]]) -> Matcher:
    """The child's matcher: arrays mapped where they lie, new objects a frame at a time."""
    buffers: list[memoryview] = []
    if layout:
        with open(folder / ARRAYS, "rb") as file:
            empty = os.fstat(file.fileno()).st_size == 0  # mmap refuses an empty file
            # populated now, in the kernel, with the GIL released: not page by page in answers' first reads
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            mapped = memoryview(b"" if empty else mmap.mmap(file.fileno(), 0, flags=flags, prot=mmap.PROT_READ))
        buffers = [mapped[offset:offset + size] for offset, size in layout]
    unpickler = _Unpickler(io.BytesIO((folder / FRAMES).read_bytes()), buffers, served)
    # Joined containers of 100k items are young objects: a collection of the youngest
    # generation in any thread walked them for 40 ms, holding the GIL. None runs until they
    # are frozen, out of the collector's way, as the served FAQ's objects are.
    collecting = gc.isenabled()
    gc.disable()
    try:
        pause_at = time.perf_counter() + SLICE_S
        for _ in range(frames - 1):
            unpickler.load()
            if time.perf_counter() >= pause_at:
                time.sleep(PAUSE_S)
                pause_at = time.perf_counter() + SLICE_S
        matcher = unpickler.load()
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    return matcher
