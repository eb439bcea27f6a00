"""Hot reload: a valid edit is served, a broken one is refused (old FAQ kept, problems
reported with file and line), removed files are followed, and the watcher notices edits,
release swaps, ConfigMap updates and a new calibration, and survives whatever goes wrong."""

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from faqbot.faq.loading import faq_files, faq_marks, file_mark, load_faq
from faqbot.faq.reload import FaqReloader, ReloadResult
from faqbot.matching.matcher import Matcher
from tests.conftest import ConceptEncoder, fused_calibration, write

VPN = """\
faqs:
  - id: vpn
    question: How do I connect to the VPN?
    answer: Install GlobalProtect.
"""
PTO = """\
faqs:
  - id: request-pto
    question: How do I request time off?
    answer: Use Workday.
"""
PARKING = """\
  - id: parking
    question: Where can I park my car?
    answer: Level -2, any free spot.
"""


class Served:
    """What the Slack app holds: the current matcher, replaced by the reloader."""

    def __init__(self, folder: Path) -> None:
        self.matcher = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration())
        self.problems: list[ReloadResult] = []

    def reloader(self, path: Path, on_problems: Callable[[ReloadResult], None] | None = None,
                 **kwargs: Any) -> FaqReloader:
        return FaqReloader(path, lambda: self.matcher, self._replace, on_problems=on_problems or self.problems.append,
                           poll_s=0.1, **kwargs)

    def _replace(self, matcher: Matcher) -> None:
        self.matcher = matcher

    def answers(self, question: str) -> str | None:
        match = self.matcher.match(question)
        return match.entry.id if match.entry else None


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "faq" / "it.yaml", VPN)
    write(tmp_path / "faq" / "hr.yaml", PTO)
    return tmp_path / "faq"


def test_a_valid_edit_is_served(folder: Path) -> None:
    served = Served(folder)
    assert served.answers("Where can I park my car?") is None
    write(folder / "it.yaml", VPN + PARKING)
    result = served.reloader(folder).reload()
    assert result == ReloadResult(True, 3)
    assert served.answers("Where can I park my car?") == "parking"
    assert served.matcher.calibration == fused_calibration()  # the encoder and calibration are kept
    assert isinstance(served.matcher.encoder, ConceptEncoder)
    assert served.problems == []


def test_a_broken_edit_keeps_the_last_good_faq_and_reports_file_and_line(folder: Path) -> None:
    served = Served(folder)
    before = served.matcher
    write(folder / "it.yaml", VPN + PARKING.replace("answer:", "answr:"))
    result = served.reloader(folder).reload()
    assert not result.ok and result.entries == 2
    assert any(p.startswith(f"{folder / 'it.yaml'}:5: entry 'parking'") for p in result.problems), result.problems
    assert served.matcher is before and served.answers("How do I connect to the VPN?") == "vpn"
    assert served.problems == [result]  # told, e.g. admins by DM
    assert "the last good FAQ (2 entries) stays" in result.summary() and "answr" in result.summary()


def test_a_reload_that_the_reply_reports_does_not_notify_too(folder: Path) -> None:
    served = Served(folder)
    write(folder / "it.yaml", "faqs: [")
    assert not served.reloader(folder).reload(notify=False).ok
    assert served.problems == []


def test_removed_files_are_followed_and_removing_all_is_refused(folder: Path) -> None:
    served = Served(folder)
    reloader = served.reloader(folder)
    (folder / "hr.yaml").unlink()
    assert reloader.reload() == ReloadResult(True, 1)
    assert served.answers("How do I request time off?") is None
    (folder / "it.yaml").unlink()
    result = reloader.reload()
    assert not result.ok and "holds no .yaml or .yml files" in result.problems[0]
    assert served.answers("How do I connect to the VPN?") == "vpn"  # still the last good FAQ


def edit_until(edit: Callable[[], object], done: Callable[[], bool], timeout: float = 30) -> None:
    """Make the edit, again every 2 s, until `done`: the watcher may start after the first one."""
    deadline = time.monotonic() + timeout
    while True:
        edit()
        retry = time.monotonic() + 2
        while time.monotonic() < retry:
            if done():
                return
            time.sleep(0.05)
        assert time.monotonic() < deadline, f"the watcher did not react within {timeout} s"


def test_the_watcher_reloads_after_an_edit(folder: Path) -> None:
    served = Served(folder)
    stop = served.reloader(folder).start()
    try:
        edit_until(lambda: write(folder / "it.yaml", VPN + PARKING),
                   lambda: served.answers("Where can I park my car?") == "parking")
        write(folder / "notes.txt", "not YAML: ignored")
        edit_until(lambda: write(folder / "it.yaml", "faqs: ["), lambda: bool(served.problems))
        assert served.answers("Where can I park my car?") == "parking"  # the last good FAQ
    finally:
        stop.set()


def test_a_single_file_faq_is_watched_too(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.yaml", VPN)
    served = Served(path)
    stop = served.reloader(path).start()
    try:
        write(tmp_path / "other.yaml", PTO)  # a neighbour: not the FAQ
        edit_until(lambda: write(path, VPN + PARKING), lambda: served.answers("Where can I park my car?") == "parking")
        assert len(served.matcher.faq) == 2
    finally:
        stop.set()


def test_a_relative_single_file_path_is_watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAQBOT_FAQ_PATH=faq.yaml, relative to the working folder."""
    write(tmp_path / "faq.yaml", VPN)
    monkeypatch.chdir(tmp_path)
    served = Served(Path("faq.yaml"))
    stop = served.reloader(Path("faq.yaml")).start()
    try:
        edit_until(lambda: write(tmp_path / "faq.yaml", VPN + PARKING),
                   lambda: served.answers("Where can I park my car?") == "parking")
    finally:
        stop.set()


def test_many_problems_are_summarised_for_slack(folder: Path) -> None:
    served = Served(folder)
    broken = "faqs:\n" + "".join(f"  - id: e{i}\n    question: q{i}\n" for i in range(60))  # no answers
    write(folder / "it.yaml", broken)
    result = served.reloader(folder).reload()
    assert len(result.problems) == 60
    summary = result.summary()
    assert summary.count("\n• ") == 20 and "…and 40 more: `faqbot validate` lists them all" in summary


def watching(served: Served, path: Path, **kwargs: object) -> threading.Event:
    stop = served.reloader(path, **kwargs).start()  # type: ignore[arg-type]
    time.sleep(0.3)  # the watcher's first fingerprint
    return stop


def test_a_release_swap_behind_a_symlink_is_served(tmp_path: Path) -> None:
    """FAQBOT_FAQ_PATH=current, current -> releases/v1; a deploy points it at releases/v2."""
    write(tmp_path / "releases" / "v1" / "faq.yaml", VPN)
    write(tmp_path / "releases" / "v2" / "faq.yaml", VPN + PARKING)
    current = tmp_path / "current"
    current.symlink_to(tmp_path / "releases" / "v1")
    served = Served(current)
    assert served.reloader(current).reload().ok and served.answers("Where can I park my car?") is None
    stop = watching(served, current)
    try:
        swap = tmp_path / "current.new"
        swap.symlink_to(tmp_path / "releases" / "v2")
        swap.replace(current)  # atomic, as deploy tools do it
        edit_until(lambda: None, lambda: served.answers("Where can I park my car?") == "parking")
    finally:
        stop.set()


def config_map(mount: Path, version: str, text: str) -> None:
    """How the kubelet writes a ConfigMap volume: a hidden dated folder, `..data` pointing at it,
    and each key a symlink through `..data`."""
    write(mount / f"..{version}" / "faq.yaml", text)
    link = mount / "..data_tmp"
    link.symlink_to(f"..{version}")
    link.replace(mount / "..data")
    if not (mount / "faq.yaml").is_symlink():
        (mount / "faq.yaml").symlink_to("..data/faq.yaml")


def test_a_config_map_mount_loads_once_and_its_updates_are_served(tmp_path: Path) -> None:
    mount = tmp_path / "faq"
    config_map(mount, "2026_11_29_01", VPN)
    faq = load_faq(mount)
    assert [e.id for e in faq.entries] == ["vpn"] and faq.warnings == ()
    served = Served(mount)
    stop = watching(served, mount)
    try:
        config_map(mount, "2026_11_29_02", VPN + PARKING)
        edit_until(lambda: None, lambda: served.answers("Where can I park my car?") == "parking")
    finally:
        stop.set()


def test_the_watchers_marks_are_each_files_own_mark(tmp_path: Path) -> None:
    """The watcher's cheap look (one stat a file, each folder resolved once) sees what a
    file-by-file look sees: files, linked files, files in a linked folder and in a ConfigMap."""
    root = tmp_path / "faq"
    write(root / "a.yaml", VPN)
    write(root / "teams" / "b.yml", PARKING)
    write(tmp_path / "elsewhere" / "c.yaml", VPN.replace("vpn", "vpn2"))
    (root / "linked.yaml").symlink_to(tmp_path / "elsewhere" / "c.yaml")
    (root / "shared").symlink_to(tmp_path / "elsewhere")
    config_map(root / "mount", "2026_11_29_01", PARKING.replace("parking", "parking2"))
    files = faq_files(root, [], [])
    assert len(files) == 5
    assert faq_marks(root) == tuple(file_mark(file) for file in files)
    assert faq_marks(root / "a.yaml") == (file_mark(root / "a.yaml"),)


def test_a_deleted_and_recreated_folder_is_watched_on(folder: Path) -> None:
    served = Served(folder)
    stop = watching(served, folder)
    try:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
        edit_until(lambda: None, lambda: bool(served.problems))
        assert served.answers("How do I connect to the VPN?") == "vpn"  # the last good FAQ
        write(folder / "it.yaml", VPN + PARKING)
        edit_until(lambda: None, lambda: served.answers("Where can I park my car?") == "parking")
    finally:
        stop.set()


def test_the_watcher_survives_a_failure_to_tell_admins(folder: Path) -> None:
    """A database or network error while telling admins used to end the watcher thread for good."""
    def fail(result: ReloadResult) -> None:
        raise ConnectionError("database is down")

    served = Served(folder)
    stop = watching(served, folder, on_problems=fail)
    try:
        write(folder / "it.yaml", "faqs: [")
        time.sleep(1.0)
        edit_until(lambda: write(folder / "it.yaml", VPN + PARKING),
                   lambda: served.answers("Where can I park my car?") == "parking")
    finally:
        stop.set()


def test_an_unexpected_failure_keeps_the_last_good_faq(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = Served(folder)
    reloader = served.reloader(folder)
    monkeypatch.setattr("faqbot.faq.reload.Matcher", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    result = reloader.reload()
    assert not result.ok and "No space left" in result.problems[0] and served.problems == [result]
    assert served.answers("How do I connect to the VPN?") == "vpn"


# "How do I connect to the tunnel?" has a fused score of about 0.7 against the VPN entry
# (ConceptEncoder: vpn and tunnel are one concept; the words differ), so confidence ~0.88.
TUNNEL = "How do I connect to the tunnel?"


def test_a_new_calibration_file_is_served_from_the_next_reload(folder: Path) -> None:
    """`faqbot calibrate` after an edit: the running bot follows without a restart."""
    served = Served(folder)
    path = folder / "calibration.json"
    reloader = served.reloader(folder, calibration_path=path)
    assert served.answers(TUNNEL) == "vpn"
    fused_calibration(direct=0.99, model=ConceptEncoder.name).save(path)
    assert reloader.reload() == ReloadResult(True, 2)
    assert served.matcher.calibration.direct == 0.99 and served.answers(TUNNEL) is None
    write(folder / "it.yaml", VPN + PARKING)  # an FAQ edit alone keeps the calibration read
    assert reloader.reload().ok and served.matcher.calibration.direct == 0.99


def test_the_configured_bars_are_laid_over_a_reloaded_calibration(folder: Path) -> None:
    served = Served(folder)
    path = folder / "calibration.json"
    reloader = served.reloader(folder, calibration_path=path, adjust=lambda c: replace(c, direct=0.5))
    fused_calibration(direct=0.99, model=ConceptEncoder.name).save(path)
    assert reloader.reload().ok
    assert served.matcher.calibration.direct == 0.5 and served.answers(TUNNEL) == "vpn"


@pytest.mark.parametrize("content, problem", [
    ("{not json", "cannot read the calibration"),
    (None, "fitted for model other-model, the bot runs concepts-v1"),
])
def test_a_calibration_that_cannot_serve_is_refused_and_reported(folder: Path, content: str | None,
                                                                 problem: str) -> None:
    served = Served(folder)
    before = served.matcher
    path = folder / "calibration.json"
    reloader = served.reloader(folder, calibration_path=path)
    if content is None:
        fused_calibration(direct=0.99, model="other-model").save(path)
    else:
        path.write_text(content, encoding="utf-8")
    result = reloader.reload()
    assert not result.ok and problem in result.problems[0] and str(path) in result.problems[0]
    assert served.matcher is before and served.problems == [result]
    fused_calibration(direct=0.99, model=ConceptEncoder.name).save(path)  # fixed: served
    assert reloader.reload().ok and served.matcher.calibration.direct == 0.99


def test_a_calibration_present_at_start_is_not_reread(folder: Path) -> None:
    """The served calibration may have been fitted at start-up for another model than the
    file's: FAQ edits must not start refusing because of a file nobody changed."""
    path = folder / "calibration.json"
    fused_calibration(direct=0.99, model="other-model").save(path)
    served = Served(folder)
    reloader = served.reloader(folder, calibration_path=path)
    write(folder / "it.yaml", VPN + PARKING)
    assert reloader.reload().ok and served.matcher.calibration == fused_calibration()
    path.unlink()  # removing the file changes nothing either
    assert reloader.reload().ok and served.matcher.calibration == fused_calibration()


def test_the_watcher_reloads_after_a_calibration_is_written(folder: Path) -> None:
    served = Served(folder)
    path = folder / "calibration.json"
    stop = watching(served, folder, calibration_path=path)
    try:
        edit_until(lambda: fused_calibration(direct=0.99, model=ConceptEncoder.name).save(path),
                   lambda: served.answers(TUNNEL) is None)
    finally:
        stop.set()


def test_an_edits_n_gram_index_is_kept_for_the_next_start(folder: Path, tmp_path: Path) -> None:
    """The child process stores it after handing the matcher over; a restart reads it."""
    import multiprocessing

    from faqbot.matching.index_cache import LEXICAL_VERSION, cache_key

    served, cache = Served(folder), tmp_path / "cache"
    write(folder / "it.yaml", VPN + PARKING)
    assert served.reloader(folder, index_cache=cache).reload().ok
    deadline = time.monotonic() + 30
    while multiprocessing.active_children() and time.monotonic() < deadline:  # also reaps the finished
        time.sleep(0.05)
    assert (cache / f"{cache_key(LEXICAL_VERSION, served.matcher.normalized)}.npz").is_file()
