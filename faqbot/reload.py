"""Hot reload: admins edit the FAQ files and the bot follows, without a restart.

Each change is validated first; only a valid FAQ replaces the one being served, so a
broken edit never takes the bot down: the last good FAQ stays, and the problems (file and
line) go to the log and to whoever `on_problems` tells. Every process runs its own watcher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchfiles import watch

from faqbot.faq import YAML_SUFFIXES, FaqError, load_faq
from faqbot.matching.matcher import Matcher

log = logging.getLogger(__name__)
SHOWN_PROBLEMS = 20  # in a Slack message; the log has them all


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
    """Rebuilds the matcher from the FAQ files, keeping its encoder and calibration."""

    def __init__(self, path: Path, current: Callable[[], Matcher], replace: Callable[[Matcher], None],
                 index_cache: Path | None = None, on_problems: Callable[[ReloadResult], None] | None = None) -> None:
        self.path = path.resolve()  # watchfiles reports absolute paths
        self._current = current
        self._replace = replace
        self._index_cache = index_cache
        self._on_problems = on_problems
        self._lock = threading.Lock()  # a watcher and `/faq reload` at once load one after the other

    def reload(self, notify: bool = True) -> ReloadResult:
        """Load, validate, swap; `notify`: also tell `on_problems` (not when the reply will)."""
        with self._lock:
            old = self._current()
            try:
                faq = load_faq(self.path)
            except FaqError as exc:
                result = ReloadResult(False, len(old.faq), tuple(str(p) for p in exc.problems))
                log.error("FAQ reload refused, still serving %d entries:\n%s", len(old.faq), exc)
                if notify and self._on_problems:
                    self._on_problems(result)
                return result
            self._replace(Matcher(faq, old.encoder, old.calibration, index_cache=self._index_cache))
            log.info("FAQ reloaded from %s: %d entries", self.path, len(faq))
            return ReloadResult(True, len(faq))

    def watch(self, stop: threading.Event) -> None:
        """Reload after each batch of changes to YAML files under the path, until `stop` is set."""
        target = self.path if self.path.is_dir() else self.path.parent
        for changes in watch(target, stop_event=stop, watch_filter=self._relevant, raise_interrupt=False):
            log.info("FAQ files changed: %s", ", ".join(sorted({Path(p).name for _, p in changes})))
            self.reload()

    def start(self) -> threading.Event:
        """Watch in a background thread; set the returned event to stop it."""
        stop = threading.Event()
        threading.Thread(target=self.watch, args=(stop,), name="faq-watcher", daemon=True).start()
        return stop

    def _relevant(self, change: object, path: str) -> bool:
        if self.path.is_file() or (not self.path.exists() and self.path.suffix in YAML_SUFFIXES):
            return Path(path).resolve() == self.path
        return Path(path).suffix in YAML_SUFFIXES
