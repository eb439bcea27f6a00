"""An edited FAQ's matcher built in a forked child and handed over: it answers as one built
here, shares the served objects that did not change, maps its arrays instead of copying
them, leaves no files, and every way the child can fail leaves the served matcher serving."""

import gc
import logging
import multiprocessing
import os
import resource
import signal
import tempfile
import time
from pathlib import Path

import pytest

from faqbot.faq import handover
from faqbot.faq.handover import RebuildError, build_forked
from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError
from faqbot.matching import vector_index
from faqbot.matching.matcher import Matcher
from faqbot.matching.vector_index import VectorIndex
from tests.conftest import ConceptEncoder, fused_calibration, write
from tests.test_matcher import QUESTIONS, large_faq, project


@pytest.fixture(autouse=True)
def temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand-over's temporary folders go here, to see that none is left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def two_files(tmp_path: Path, faq_file: Path) -> Path:
    """The large test FAQ as two files: the small FAQ and 400 filler entries."""
    folder = tmp_path / "faq"
    write(folder / "a.yaml", faq_file.read_text())
    write(folder / "b.yaml", "faqs:\n" + large_faq(tmp_path, faq_file).read_text()[len(faq_file.read_text()):])
    return folder


def rebuild(folder: Path, served: Matcher):
    """What the reloader builds: the FAQ now on disk, from the served matcher."""
    return lambda: Matcher(load_faq(folder, previous=served.faq), served.encoder, served.calibration,
                           exact_max=served.exact_max, previous=served)


def same_answers(got: Matcher, want: Matcher, questions: list[str]) -> None:
    for question in questions:
        for surface in ("direct", "channel"):
            a, b = got.match(question, surface), want.match(question, surface)
            assert (a.method, a.entry, a.phrasing, a.score, a.confidence) == (b.method, b.entry, b.phrasing, b.score,
                                                                              b.confidence), question
            assert [s.entry.id for s in a.suggestions] == [s.entry.id for s in b.suggestions], question


@pytest.mark.parametrize("exact_max", [0, 10**6])
def test_a_matcher_built_in_a_child_answers_as_one_built_here_and_shares_what_did_not_change(
        tmp_path: Path, faq_file: Path, temp_folder: Path, exact_max: int) -> None:
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration(), exact_max=exact_max)
    assert len(served.faq) == 403
    write(folder / "a.yaml", (folder / "a.yaml").read_text().replace("pw reset", "pw reset on my phone"))
    forked, here = build_forked(rebuild(folder, served), served), rebuild(folder, served)()
    questions = [*QUESTIONS, "pw reset on my phone", f"{project(5)} status notes"]
    same_answers(forked, here, questions)
    assert forked.encoder is served.encoder and forked.faq.by_id.keys() == here.faq.by_id.keys()
    # Entries that did not change are the served objects, not copies; only the edited one is new.
    shared = [new is old for new, old in zip(forked.faq.entries, served.faq.entries)]
    assert shared == [new == old for new, old in zip(here.faq.entries, served.faq.entries)] and shared.count(False) == 1
    assert all(new is old for new, old in zip(forked.normalized[-800:], served.normalized[-800:]))
    # Arrays lie in the mapped file (read-only), and the folder is gone.
    assert not forked._vectors.matrix.flags.writeable and not forked.keys.flags.writeable
    assert list(temp_folder.iterdir()) == []
    assert gc.isenabled()  # paused while the new objects came in, on again once they were frozen
    # The next edit is built from the handed-over matcher, in a child and here alike.
    write(folder / "b.yaml", (folder / "b.yaml").read_text().replace(f"{project(7)} status notes", "bike parking"))
    again, again_here = build_forked(rebuild(folder, forked), forked), rebuild(folder, forked)()
    same_answers(again, again_here, [*questions, "bike parking", f"{project(7)} status notes"])
    same_answers(again, Matcher(load_faq(folder), ConceptEncoder(), fused_calibration(), exact_max=exact_max),
                 ["bike parking", "pw reset on my phone"])


def test_containers_joined_in_many_small_steps_equal_the_childs(
        tmp_path: Path, faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames of 4 new objects and joins of 100 items: entries, phrasings, fuzzy choices and
    the parsed files (a dict) come out equal to the ones built here, in order."""
    monkeypatch.setattr(handover, "FRAME", 4)
    monkeypatch.setattr(handover, "STEP", 100)
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration())
    text = (folder / "b.yaml").read_text()
    write(folder / "b.yaml", text.replace(f"{project(7)} status notes", "bike parking")
          .replace(f"{project(300)} status notes", "car parking"))
    forked, here = build_forked(rebuild(folder, served), served), rebuild(folder, served)()
    for got, want in zip(forked.containers(), here.containers()):
        assert type(got) is type(want) and got == want
    same_answers(forked, here, ["bike parking", "car parking", *QUESTIONS])


def test_a_graph_the_edit_left_unchanged_is_not_sent_and_one_it_changed_is(
        tmp_path: Path, faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large FAQ's HNSW graph: a small edit's matcher searches the served graph object
    itself (the child sends it by name), and the next edit, past the delta limit, hands over
    a changed copy, mapped from the file; both answer as matchers built here."""
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration(), exact_max=0)
    served._vectors = VectorIndex(served._vectors.matrix, served.keys, ann_min=100)  # a graph at this size
    write(folder / "a.yaml", (folder / "a.yaml").read_text().replace("pw reset", "pw reset on my phone"))
    forked, here = build_forked(rebuild(folder, served), served), rebuild(folder, served)()
    assert forked._vectors.graph is served._vectors.graph is here._vectors.graph
    questions = [*QUESTIONS, "pw reset on my phone", f"{project(5)} status notes"]
    same_answers(forked, here, questions)
    monkeypatch.setattr(vector_index, "DELTA_MAX", 0)
    write(folder / "b.yaml", (folder / "b.yaml").read_text().replace(f"{project(7)} status notes", "bike parking"))
    again, again_here = build_forked(rebuild(folder, forked), forked), rebuild(folder, forked)()
    assert again._vectors.graph is not served._vectors.graph and again._vectors.approximate
    same_answers(again, again_here, [*questions, "bike parking", f"{project(7)} status notes"])


def test_the_problems_of_a_broken_edit_come_back_as_loading_them_here_reports(tmp_path: Path, faq_file: Path) -> None:
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration())
    write(folder / "a.yaml", (folder / "a.yaml").read_text().replace("answer:", "answr:", 1))
    with pytest.raises(FaqError) as here:
        load_faq(folder)
    with pytest.raises(FaqError) as forked:
        build_forked(rebuild(folder, served), served)
    assert [str(p) for p in forked.value.problems] == [str(p) for p in here.value.problems]


def test_a_child_that_dies_or_goes_silent_is_reported_and_reaped(
        tmp_path: Path, faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration())

    def killed() -> Matcher:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        raise AssertionError("unreachable")

    with pytest.raises(RebuildError, match="died"):
        build_forked(killed, served)
    monkeypatch.setattr(handover, "TIMEOUT_S", 0.5)
    started = time.monotonic()
    with pytest.raises(RebuildError, match="silent"):
        build_forked(lambda: time.sleep(60), served)
    assert time.monotonic() - started < 10 and multiprocessing.active_children() == []
    with pytest.raises(RebuildError, match="ZeroDivisionError"):
        build_forked(lambda: 1 / 0, served)
    assert served.match("How do I reset my password?").answered


def test_a_hand_over_that_cannot_be_written_is_built_here_instead(
        tmp_path: Path, faq_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A full disk under the temporary folder: the child cannot write the arrays (here its
    files may not grow past 1 kB), so the matcher is built in this process."""
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration())
    write(folder / "a.yaml", (folder / "a.yaml").read_text().replace("pw reset", "pw reset on my phone"))
    build, where = rebuild(folder, served), []

    def cramped() -> Matcher:
        where.append(os.getpid())
        if os.getpid() != parent:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
            resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        return build()

    parent = os.getpid()
    with caplog.at_level(logging.WARNING):
        matcher = build_forked(cramped, served)
    assert "could not hand the rebuilt FAQ over" in caplog.text and "File too large" in caplog.text
    assert where == [parent]  # the child's own call is in its copy of `where`
    same_answers(matcher, build(), ["pw reset on my phone", *QUESTIONS])


def test_a_faq_replaced_whole_is_handed_over_whole(tmp_path: Path, faq_file: Path) -> None:
    """Nothing in common with the served FAQ: every container is new objects only (a case
    that once handed over no entries, the new tuple having been taken for its own slice)."""
    folder = two_files(tmp_path, faq_file)
    served = Matcher(load_faq(folder), ConceptEncoder(), fused_calibration())
    for file in folder.iterdir():
        file.unlink()
    write(folder / "c.yaml", "faqs:\n  - id: parking\n    question: Where can I park my car?\n    answer: Level -2.\n")
    forked, here = build_forked(rebuild(folder, served), served), rebuild(folder, served)()
    assert [e.id for e in forked.faq.entries] == ["parking"] and forked.phrasings[:] == here.phrasings[:] == ["Where can I park my car?"]
    same_answers(forked, here, ["where do i park", "vpn", *QUESTIONS])
