"""Hot reload: admins edit the FAQ files and the bot follows, without a restart.

Each change is validated first; only a valid FAQ replaces the one being served, so a
broken edit never takes the bot down: the last good FAQ stays, and the problems (file and
line) go to the log and to whoever `on_problems` tells. Every process runs its own watcher.

The watcher polls: four times a second it takes a fingerprint of the FAQ's files (where each
path leads now, its inode, size and times). Events from the file system (inotify) miss
what deployments do: a `current` symlink swapped to a new release, a Kubernetes ConfigMap
swapping its `..data` link, the folder deleted and made again, network mounts that send
no events. A fingerprint sees all of them, and costs a few `stat` calls. Nothing that
goes wrong stops the watcher: it logs, keeps the last good FAQ and keeps watching.

The calibration file that `faqbot calibrate` writes is watched too: a new or changed one
is served from the next reload, so recalibrating after an edit needs no restart. One that
cannot be read, or that was fitted for another model, is refused like a broken FAQ. So is
the channels' help desks file (channels.yaml), read again with every reload.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faqbot.faq.channel_desks import ChannelDesks, load_desks
from faqbot.faq.handover import build_forked
from faqbot.faq.loading import Mark, faq_marks, file_mark, load_faq
from faqbot.faq.schema import FaqError
from faqbot.matching.decision import Calibration, CalibrationError
from faqbot.matching.matcher import Matcher

log = logging.getLogger(__name__)
SHOWN_PROBLEMS = 20  # in a Slack message; the log has them all
POLL_S = 0.25  # how often the watcher looks at the files (a few stat calls)
SETTLE_S = 0.2  # a change is read once the files have stopped changing for this long (editors save in steps)

Fingerprint = tuple[Mark, ...]


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    entries: int  # entries now served (the old count when the new FAQ was refused)
    problems: tuple[str, ...] = ()  # "file:line: entry 'x': what is wrong"

    def summary(self) -> str:
        if self.ok:
            return f"FAQ reloaded: {self.entries} entries."
        listed = [f"• {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            listed.append(f"…and {len(self.problems) - SHOWN_PROBLEMS} more: `faqbot validate` lists them all")
        head = f"The FAQ has {len(self.problems)} problem(s), so the last good FAQ ({self.entries} entries) stays:"
        return "\n".join([head, *listed])


class FaqReloader:
    """Rebuilds the matcher from the FAQ files, keeping its encoder, and its calibration
    until the calibration file changes.

    The path is kept as given, never resolved: a symlink is followed afresh on every load.
    `adjust` lays the configured overrides (bars set by environment) over a calibration read.
    `desks_path`: the channels' help desks, handed to `replace_desks` with each new FAQ."""

    def __init__(self, path: Path, current: Callable[[], Matcher], replace: Callable[[Matcher], None],
                 index_cache: Path | None = None, on_problems: Callable[[ReloadResult], None] | None = None,
                 poll_s: float = POLL_S, calibration_path: Path | None = None,
                 adjust: Callable[[Calibration], Calibration] = lambda calibration: calibration,
                 desks_path: Path | None = None,
                 replace_desks: Callable[[ChannelDesks], None] = lambda desks: None) -> None:
        self.path = path
        self._current = current
        self._replace = replace
        self._index_cache = index_cache
        self._on_problems = on_problems
        self._poll_s = poll_s
        self._calibration_path = calibration_path
        self._adjust = adjust
        self._desks_path = desks_path
        self._replace_desks = replace_desks
        self._calibration_seen = self._calibration_mark()  # what the served calibration came from
        self._lock = threading.Lock()  # a watcher and `/faq reload` at once load one after the other

    def reload(self, notify: bool = True) -> ReloadResult:
        """Load, validate, swap; `notify`: also tell `on_problems` (not when the reply will).
        Whatever fails, the matcher being served stays."""
        with self._lock:
            old = self._current()
            try:
                mark = self._calibration_mark()
                changed = mark is not None and mark != self._calibration_seen  # a removed file changes nothing
                calibration = self._read_calibration(old) if changed else old.calibration
                desks = load_desks(self._desks_path) if self._desks_path is not None else None

                def build() -> Matcher:  # only changed files are parsed; unchanged phrasings cost nothing
                    faq = load_faq(self.path, previous=old.faq, cache=self._index_cache)
                    return Matcher(faq, old.encoder, calibration, index_cache=self._index_cache, previous=old)

                # in a child process, answers go on undisturbed; it then stores what a restart reads
                new = build_forked(build, old, after=lambda matcher: matcher.keep(self._index_cache))
                faq = new.faq
                desks = desks.checked(faq) if desks is not None else None
                for warning in (*faq.warnings, *(desks.warnings if desks else ())):
                    log.warning("FAQ: %s", warning)
                self._replace(new)
                if desks is not None:
                    self._replace_desks(desks)
                # the new FAQ's objects live until the next edit: out of the cycle collector's
                # way (a full collection walked them for 95 ms at 100k phrasings, holding the GIL)
                gc.freeze()
                if changed:
                    log.info("calibration reloaded from %s", self._calibration_path)
                self._calibration_seen = mark
            except FaqError as exc:
                result = ReloadResult(False, len(old.faq), tuple(str(p) for p in exc.problems))
                log.error("FAQ reload refused, still serving %d entries:\n%s", len(old.faq), exc)
            except Exception as exc:  # a bug, a full disk under the index cache, no memory: serve on
                result = ReloadResult(False, len(old.faq), (f"{self.path}: could not be loaded ({exc!r})",))
                log.exception("FAQ reload failed, still serving %d entries", len(old.faq))
            else:
                log.info("FAQ reloaded from %s: %d entries", self.path, len(faq))
                return ReloadResult(True, len(faq))
        if notify and self._on_problems:
            try:
                self._on_problems(result)
            except Exception:
                log.exception("telling admins about the refused FAQ change failed")
        return result

    def recalibrate(self, fit: Callable[[Matcher], Calibration]) -> bool:
        """Serve the FAQ with the calibration `fit(matcher)` gives, fitted in a forked child as
        an edit is indexed, while answers go on (half a minute at 100,000 phrasings); False,
        logged, when it fails, and the calibration in use stays."""
        with self._lock:
            old = self._current()

            def build() -> Matcher:  # the same FAQ: every index is reused, only the calibration is new
                return Matcher(old.faq, old.encoder, fit(old), index_cache=self._index_cache, previous=old)

            try:
                new = build_forked(build, old)
            except Exception:
                log.exception("calibrating on the FAQ failed; the calibration in use stays")
                return False
            self._replace(new)
            gc.freeze()
            log.info("calibrated on the FAQ: serving its own calibration now")
            return True

    def _read_calibration(self, old: Matcher) -> Calibration:
        """The calibration file's, laid over with the overrides; FaqError when it cannot serve."""
        path = self._calibration_path
        try:
            calibration = Calibration.load(path)
        except CalibrationError as exc:
            raise FaqError([f"{exc}; the calibration in use stays (run `faqbot calibrate` to write a new one)"]) from exc
        if not calibration.fits(old.encoder):
            model = old.encoder.name if old.encoder else None
            raise FaqError([f"{path}: fitted for model {calibration.model}, the bot runs {model}; the calibration "
                            "in use stays (run `faqbot calibrate` with this model)"])
        return self._adjust(calibration)

    def _calibration_mark(self) -> Mark | None:
        """The calibration file's mark; None when there is none."""
        return _mark(self._calibration_path)

    def fingerprint(self) -> Fingerprint:
        """Where each FAQ file (and the calibration and channels files) leads now, and its
        inode, size and modification time."""
        return faq_marks(self.path) + tuple(filter(None, [self._calibration_mark(), _mark(self._desks_path)]))

    def watch(self, stop: threading.Event) -> None:
        """Reload whenever the fingerprint changes, until `stop` is set; never dies."""
        seen = self._safe_fingerprint()
        while not stop.wait(self._poll_s):
            now = self._safe_fingerprint()
            if now == seen:
                continue
            while not stop.wait(SETTLE_S) and (settled := self._safe_fingerprint()) != now:
                now = settled
            log.info("FAQ files changed under %s", self.path)
            seen = now
            self.reload()

    def _safe_fingerprint(self) -> Fingerprint | None:
        try:
            return self.fingerprint()
        except Exception:
            log.exception("looking at the FAQ files under %s failed; looking again in %.0f s", self.path, self._poll_s)
            return None

    def start(self) -> threading.Event:
        """Watch in a background thread; set the returned event to stop it."""
        stop = threading.Event()
        threading.Thread(target=self.watch, args=(stop,), name="faq-watcher", daemon=True).start()
        return stop



def _mark(path: Path | None) -> Mark | None:
    """A file's mark; None when it is not configured or not there."""
    if path is None:
        return None
    try:
        return file_mark(path)
    except OSError:
        return None
