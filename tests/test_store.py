"""The SQL store on SQLite and PostgreSQL: round trips, migrations, retention, concurrency."""

import multiprocessing
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, text

from faqbot.store import tables
from faqbot.store.interface import APPROVED, APPROVING, PENDING, REJECTED, Choice, Feedback, Proposal, Question
from faqbot.store.sql import DatabaseError, SqlStore, connect, engine_url, migrate, schema_revision
from tests.conftest import EPOCH

NOW = datetime.now(UTC)


def question(**overrides: object) -> Question:
    fields = dict(normalized="how do i reset my password", surface="dm",
                  user="U0ASKER", entry_id="reset-password", score=0.91, method="semantic", answered=True)
    return Question(**{**fields, **overrides})


def test_records_round_trip_with_user_ids_hashed(database_url: str) -> None:
    store = SqlStore.open(database_url, user_key="k")
    asked = question()
    store.record_question(asked)
    store.record_question(question(entry_id=None, method="none", answered=False, score=0.2, surface="channel"))
    store.record_feedback(Feedback(asked.id, "reset-password", "U0OTHER", helpful=False))
    store.record_choice(Choice(asked.id, "vpn", "U0ASKER"))
    first, second = store.questions(EPOCH)
    assert first.id == asked.id and first.at == asked.at
    assert (first.normalized, first.entry_id, first.score, first.method, first.answered) == (
        "how do i reset my password", "reset-password", 0.91, "semantic", True)
    assert (second.entry_id, second.answered, second.surface) == (None, False, "channel")
    assert first.user == store.hash_user("U0ASKER") != "U0ASKER"  # the ID itself is never stored
    [feedback] = store.feedback(EPOCH)
    assert (feedback.question_id, feedback.entry_id, feedback.helpful) == (asked.id, "reset-password", False)
    [choice] = store.choices(EPOCH)
    assert (choice.question_id, choice.entry_id, choice.user) == (asked.id, "vpn", store.hash_user("U0ASKER"))
    with store.engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM questions")) for v in row)
    assert "U0ASKER" not in stored


def test_user_hashes_depend_on_the_key(tmp_path) -> None:
    a = SqlStore.open(f"sqlite:///{tmp_path}/a.db", user_key="one")
    b = SqlStore(a.engine, user_key="two")
    assert a.hash_user("U1") == a.hash_user("U1") != b.hash_user("U1")


def test_reads_start_at_since(database_url: str) -> None:
    store = SqlStore.open(database_url)
    store.record_question(question(at=NOW - timedelta(days=10)))
    recent = question(at=NOW - timedelta(days=1))
    store.record_question(recent)
    assert [q.id for q in store.questions(NOW - timedelta(days=7))] == [recent.id]


def test_retention_deletes_old_rows_only(database_url: str) -> None:
    store = SqlStore.open(database_url)
    old, new = question(at=NOW - timedelta(days=200)), question(at=NOW)
    for q in (old, new):
        store.record_question(q)
        store.record_feedback(Feedback(q.id, "reset-password", "U1", True, at=q.at))
        store.record_choice(Choice(q.id, "vpn", "U1", at=q.at))
    assert store.delete_before(NOW - timedelta(days=180)) == 3
    assert [q.id for q in store.questions(EPOCH)] == [new.id]
    assert [f.question_id for f in store.feedback(EPOCH)] == [new.id]
    assert [c.question_id for c in store.choices(EPOCH)] == [new.id]


def test_claims_are_first_come_until_they_expire(database_url: str) -> None:
    store = SqlStore.open(database_url)
    assert store.claim("event:Ev1") is True
    assert store.claim("event:Ev1") is False
    assert store.claim("event:Ev2") is True
    expiring = SqlStore(store.engine, claim_ttl_s=-1)  # claims already expired when taken
    assert expiring.claim("message:C1:1") is True and expiring.claim("message:C1:1") is True
    assert store.claim("digest:W48", ttl_s=8 * 86400) is True and store.claim("digest:W48") is False
    store.release("digest:W48")  # the work failed: the next caller takes it
    assert store.claim("digest:W48") is True and store.claim("digest:W48") is False


def test_migrations_from_empty_reach_exactly_the_declared_schema(database_url: str) -> None:
    engine = connect(database_url)
    assert schema_revision(engine) is None
    migrate(engine)
    assert schema_revision(engine) == "0006"
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), tables.metadata) == []


def test_migration_from_the_previous_schema_keeps_the_records_and_forgets_where(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine, "0002")
    with engine.begin() as connection:  # a row and a claim as release 0002 wrote them
        connection.execute(text(
            "INSERT INTO questions (id, at, surface, user_hash, channel, ts, thread_ts, normalized, entry_id, score,"
            " method, answered) VALUES ('q1', :at, 'channel', 'h', 'C0SECRET', '1700000000.000100', NULL, 'hi', NULL,"
            " 0.1, 'none', false)"), {"at": NOW})
        connection.execute(text("INSERT INTO claims (key, expires_at) VALUES ('message:C0SECRET:1700000000.000100',"
                                " :at)"), {"at": NOW})
    store = SqlStore.open(database_url)  # what a new release does on start-up
    assert schema_revision(store.engine) == "0006"
    assert [q.id for q in store.questions(EPOCH)] == ["q1"]
    assert {c["name"] for c in inspect(store.engine).get_columns("questions")}.isdisjoint({"channel", "ts", "thread_ts"})
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM claims")).scalar() == 0
    assert store.claim("message:C0SECRET:1700000000.000100") is True
    with store.engine.connect() as connection:
        assert "C0SECRET" not in str(connection.execute(text("SELECT key FROM claims")).all())


def test_opening_twice_migrates_once_and_changes_nothing(database_url: str) -> None:
    SqlStore.open(database_url).record_question(question())
    store = SqlStore.open(database_url)
    assert schema_revision(store.engine) == "0006" and len(store.questions(EPOCH)) == 1


def test_concurrent_writers_lose_nothing_and_claims_have_one_winner(database_url: str) -> None:
    store = SqlStore.open(database_url)
    wins: list[bool] = []

    def work(n: int) -> None:
        for i in range(20):
            store.record_question(question())
        wins.append(store.claim("event:shared"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.questions(EPOCH)) == 160
    assert sorted(wins) == [False] * 7 + [True]


def _process_writer(url: str, n: int, results: "multiprocessing.Queue[bool]") -> None:
    store = SqlStore.open(url)  # each process migrates on start-up, as each dyno does
    for i in range(10):
        store.record_question(question())
    results.put(store.claim("event:across-processes"))


def test_several_processes_start_and_write_at_once(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_process_writer, args=(database_url, n, results)) for n in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * 4
    assert sorted(results.get(timeout=5) for _ in processes) == [False, False, False, True]
    assert len(SqlStore.open(database_url).questions(EPOCH)) == 40


def test_platform_urls_get_the_psycopg_driver() -> None:
    assert engine_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert engine_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert engine_url("sqlite:///faqbot.db") == "sqlite:///faqbot.db"


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(DatabaseError, match="cannot prepare the database") as error:
        SqlStore.open("postgres://faqbot:hunter2@127.0.0.1:1/faqbot")
    assert "hunter2" not in str(error.value)


def test_usage_is_counted_by_the_database_per_utc_day(database_url: str) -> None:
    """Rows per (day, method) and per entry, not per question; days are UTC days even for
    a time written in another zone (23:30 in New York is the next day in UTC)."""
    store = SqlStore.open(database_url)
    new_york = timezone(timedelta(hours=-5))
    late = datetime(2026, 3, 2, 23, 30, tzinfo=new_york)  # 2026-03-03 04:30 UTC
    for i, (entry, answered) in enumerate([("vpn", True), ("vpn", True), ("pto", True), (None, False), ("pto", False)]):
        store.record_question(Question(normalized=f"q{i}", surface="dm", user="U1", entry_id=entry, score=0.5,
                                       method="semantic" if entry else "none", answered=answered, at=late))
    store.record_question(Question(normalized="old", surface="dm", user="U1", entry_id="vpn", score=0.5,
                                   method="fuzzy", answered=True, at=late - timedelta(days=40)))
    store.record_feedback(Feedback("q0", "pto", "U2", False, at=late))
    store.record_feedback(Feedback("q1", "vpn", "U2", True, at=late))
    usage = store.usage(late - timedelta(days=7), top=1)
    assert sorted(usage.by_day) == [(date(2026, 3, 3), "none", 2), (date(2026, 3, 3), "semantic", 3)]
    assert sorted(usage.feedback_by_day) == [(date(2026, 3, 3), False, 1), (date(2026, 3, 3), True, 1)]
    assert usage.top_entries == [("vpn", 2)] and usage.most_unhelpful == [("pto", 1)]


def test_gaps_are_the_newest_unanswered_or_disliked_questions(database_url: str) -> None:
    store = SqlStore.open(database_url)
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    rows = [("none-old", None, 5), ("vpn-liked", "vpn", 4), ("vpn-disliked", "vpn", 3), ("none-new", None, 2),
            ("", None, 1), ("pto-answered", "pto", 0)]
    for said, entry, hours_ago in rows:
        store.record_question(Question(normalized=said, surface="dm", user="U1", entry_id=entry, score=0.5,
                                       method="semantic" if entry else "none", answered=entry is not None,
                                       id=said or "empty", at=now - timedelta(hours=hours_ago)))
    store.record_feedback(Feedback("vpn-liked", "vpn", "U2", True, at=now))
    store.record_feedback(Feedback("vpn-disliked", "vpn", "U2", False, at=now))
    found = store.gaps(now - timedelta(days=1), limit=10)
    assert [(q.normalized, bad) for q, bad in found] == [("none-new", False), ("vpn-disliked", True), ("none-old", False)]
    assert [q.normalized for q, _ in store.gaps(now - timedelta(days=1), limit=2)] == ["none-new", "vpn-disliked"]
    assert store.gaps(now - timedelta(hours=2, minutes=30), limit=10)[0][0].normalized == "none-new"


def test_the_usage_report_reads_an_index_alone(tmp_path: Path) -> None:
    """Its aggregates group by columns a covering index holds, so SQLite never reads the rows."""
    store = SqlStore.open(f"sqlite:///{tmp_path / 'usage.db'}")
    statements: list[str] = []

    def seen(connection, cursor, statement: str, *rest) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    store.usage(EPOCH, 5)
    event.remove(store.engine, "before_cursor_execute", seen)
    plans = []
    with store.engine.connect() as connection:
        for statement in statements:
            if "FROM questions" in statement:
                plans.append(str(connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", (EPOCH.isoformat(),)
                                                            * statement.count("?")).all()))
    assert len(plans) == 2 and all("COVERING INDEX ix_questions_usage" in plan for plan in plans), plans


def test_proposals_round_trip_and_move_once(database_url: str) -> None:
    store = SqlStore.open(database_url)
    proposal = Proposal("entry", "guest-wifi", "Use *Acme-Guest*.", question="How do guests get wifi?",
                        alternates=("guest wifi",), tags=("office",), proposer="U0ASKER", link="https://x/p1")
    store.add_proposal(proposal)
    store.add_proposal(Proposal("alternates", "vpn", "", alternates=("tunnel down",), origin="suggest"))
    assert store.proposal(proposal.id) == proposal  # the proposer's ID is kept: they hear back
    assert [p.entry_id for p in store.proposals((PENDING,), 10)] == ["guest-wifi", "vpn"]  # oldest first
    assert [p.entry_id for p in store.proposals((PENDING,), 1)] == ["vpn"]  # of the newest
    edited = replace(proposal, answer="Join Acme-Guest.", entry_id="wifi")
    assert store.move_proposal(proposal.id, (PENDING,), PENDING, "U0ADMIN", changes=edited)
    assert (store.proposal(proposal.id).answer, store.proposal(proposal.id).proposer) == ("Join Acme-Guest.", "U0ASKER")

    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(store.move_proposal(proposal.id, (PENDING,), APPROVING,
                                                                               "U0ADMIN"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert not store.move_proposal(proposal.id, (PENDING,), REJECTED, retake_stale=True)  # approving, and fresh
    with store.engine.begin() as connection:  # an approval that died (a restart) eleven minutes ago
        connection.execute(tables.proposals.update().values(decided_at=NOW - timedelta(minutes=11)))
    assert store.move_proposal(proposal.id, (PENDING,), APPROVING, "U0OTHER", retake_stale=True)
    assert store.move_proposal(proposal.id, (APPROVING,), APPROVED, "U0OTHER")
    assert store.proposal(proposal.id).status == APPROVED and store.proposals((PENDING,), 10)[0].entry_id == "vpn"


def test_retention_keeps_pending_proposals(database_url: str) -> None:
    store = SqlStore.open(database_url)
    waiting, decided = (Proposal("alternates", "vpn", "", alternates=(a,), at=NOW - timedelta(days=400))
                        for a in ("tunnel down", "vpn broke"))
    store.add_proposal(waiting)
    store.add_proposal(replace(decided, status=REJECTED, decided_at=NOW - timedelta(days=300)))
    assert store.delete_before(NOW - timedelta(days=180)) == 1
    assert [p.id for p in store.proposals((PENDING, REJECTED), 10)] == [waiting.id]


def test_migration_0006_keeps_records_without_a_workspace_and_reads_keep_to_one(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine, "0005")
    with engine.begin() as connection:  # a question as release 0005 wrote it
        connection.execute(text(
            "INSERT INTO questions (id, at, surface, user_hash, normalized, entry_id, score, method, answered)"
            " VALUES ('old', :at, 'dm', 'h', 'where is lunch', NULL, 0.1, 'none', false)"), {"at": NOW})
    store = SqlStore.open(database_url)
    assert schema_revision(store.engine) == "0006"
    assert [(q.id, q.team_id) for q in store.questions(EPOCH)] == [("old", None)]
    assert {"slack_bots", "slack_installations", "slack_oauth_states"} <= set(inspect(store.engine).get_table_names())
    store.record_question(question(id="a", team_id="T0A"))
    store.record_question(question(id="b", team_id="T0B", entry_id=None, answered=False, method="none"))
    store.record_feedback(Feedback("a", "reset-password", "U0ASKER", False, team_id="T0A"))
    store.add_proposal(Proposal("alternates", "vpn", "", alternates=("tunnel",), team_id="T0B"))
    day = NOW.date()
    assert store.usage(EPOCH, 5).by_day == [(day, "none", 2), (day, "semantic", 1)]  # token mode: every record
    assert store.usage(EPOCH, 5, team="T0A").by_day == [(day, "semantic", 1)]
    assert store.usage(EPOCH, 5, team="T0A").most_unhelpful == [("reset-password", 1)]
    assert store.usage(EPOCH, 5, team="T0B").most_unhelpful == []
    assert [q.id for q, _ in store.gaps(EPOCH, 10, team="T0B")] == ["b"]
    assert [q.id for q, _ in store.gaps(EPOCH, 10)] == ["b", "a", "old"]
    assert [p.team_id for p in store.proposals((PENDING,), 10)] == ["T0B"]
    assert store.proposals((PENDING,), 10, team="T0A") == []
