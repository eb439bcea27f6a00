"""The SQL store: SQLite by default, PostgreSQL when a platform provides DATABASE_URL.

The schema is versioned by Alembic migrations that run when the store opens; on PostgreSQL
an advisory lock lets several processes start at once without racing each other. Slack
user IDs are stored as keyed hashes: counts work, identities are not kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Column, Connection, Engine, and_, case, create_engine, delete, event, exists, func, literal_column, or_, select, text,
    true, update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from faqbot.store import tables
from faqbot.store.interface import (
    APPROVING, CLAIM_TTL_S, PENDING, Choice, Feedback, Handoff, Proposal, Question, Usage,
)

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
APPROVAL_TIMEOUT = timedelta(minutes=10)  # an approval still "approving" after this died mid-way: retaken
MIGRATION_LOCK = 7_240_001  # pg_advisory_lock key: one migrating process at a time
DEFAULT_USER_KEY = "faqbot-user-hash"  # set FAQBOT_USER_HASH_KEY to make hashes unguessable


class DatabaseError(Exception):
    """The database URL is unusable or the database cannot be reached."""


def engine_url(url: str) -> str:
    """Platform URLs (`postgres://`, `postgresql://`) with the psycopg 3 driver SQLAlchemy needs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def connect(url: str) -> Engine:
    try:
        engine = create_engine(engine_url(url), pool_pre_ping=True)
    except Exception as exc:  # SQLAlchemy raises several types for a malformed URL or missing driver
        raise DatabaseError(f"unusable database URL {make_url_safe(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist yet (None for other databases)."""
    try:
        parsed = make_url(engine_url(url))
    except Exception:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def make_url_safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(engine_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # SQLAlchemy's recipe for real SQLite transactions (DDL included): the driver's own
    # BEGIN handling is switched off and `_sqlite_begin` issues it. WAL lets readers and a
    # writer share the file; busy_timeout makes a second writer wait instead of failing.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's usual pairing: durable at checkpoints, never corrupt
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A migration takes the write lock at once, so a second process waits for the first.
    connection.exec_driver_sql(f"BEGIN {connection.get_execution_options().get('sqlite_begin', '')}")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; concurrent callers on PostgreSQL wait for each other."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None


def _utc(value: datetime) -> datetime:
    """Every timestamp in UTC: SQLite keeps no zone, so one is written in UTC and read back as UTC."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _question(row: Any) -> Question:
    return Question(normalized=row["normalized"], surface=row["surface"], user=row["user_hash"],
                    entry_id=row["entry_id"], score=row["score"], method=row["method"],
                    answered=row["answered"], id=row["id"], at=_utc(row["at"]), team_id=row["team_id"])


def _proposal(row: Any) -> Proposal:
    return Proposal(
        kind=row["kind"], entry_id=row["entry_id"], answer=row["answer"], question=row["question"],
        alternates=tuple(json.loads(row["alternates"])), tags=tuple(json.loads(row["tags"])), proposer=row["proposer"],
        origin=row["origin"], link=row["link"], status=row["status"], reviewer=row["reviewer"], note=row["note"],
        id=row["id"], at=_utc(row["at"]), decided_at=_utc(row["decided_at"]) if row["decided_at"] else None,
        team_id=row["team_id"],
    )


def _content(proposal: Proposal) -> dict[str, Any]:
    """The columns a review may edit."""
    return {"kind": proposal.kind, "entry_id": proposal.entry_id, "question": proposal.question,
            "alternates": json.dumps(list(proposal.alternates)), "answer": proposal.answer,
            "tags": json.dumps(list(proposal.tags))}


def _within(table: Any, team: str | None) -> Any:
    """The condition that keeps one workspace's rows of `table` (every row when `team` is None)."""
    return table.c.team_id == team if team is not None else true()


def _date(value: date | str) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(value)


class SqlStore:
    """The Store on SQLAlchemy; safe across threads and processes."""

    def __init__(self, engine: Engine, user_key: str = DEFAULT_USER_KEY, claim_ttl_s: float = CLAIM_TTL_S) -> None:
        self.engine = engine
        self._user_key = user_key.encode()
        self._claim_ttl = timedelta(seconds=claim_ttl_s)

    @classmethod
    def open(cls, url: str, user_key: str | None = None) -> SqlStore:
        """Connect and migrate: the schema is current before the first record."""
        engine = connect(url)
        try:
            migrate(engine)
        except Exception as exc:
            raise DatabaseError(f"cannot prepare the database at {make_url_safe(url)}: {exc}") from exc
        log.info("store: %s, schema revision %s", make_url_safe(url), schema_revision(engine))
        return cls(engine, user_key or DEFAULT_USER_KEY)

    def hash_user(self, user: str) -> str:
        return hmac.new(self._user_key, user.encode(), hashlib.sha256).hexdigest()[:32]

    def record_question(self, question: Question) -> None:
        row = {
            "id": question.id, "at": _utc(question.at), "surface": question.surface, "user_hash": self.hash_user(question.user),
            "normalized": question.normalized, "entry_id": question.entry_id, "score": question.score,
            "method": question.method, "answered": question.answered, "team_id": question.team_id,
        }
        with self.engine.begin() as connection:
            connection.execute(tables.questions.insert(), row)

    def record_feedback(self, feedback: Feedback) -> None:
        with self.engine.begin() as connection:
            connection.execute(tables.feedback.insert(), {
                "at": _utc(feedback.at), "question_id": feedback.question_id, "entry_id": feedback.entry_id,
                "user_hash": self.hash_user(feedback.user), "helpful": feedback.helpful, "team_id": feedback.team_id,
            })

    def record_choice(self, choice: Choice) -> None:
        with self.engine.begin() as connection:
            connection.execute(tables.choices.insert(), {
                "at": _utc(choice.at), "question_id": choice.question_id, "entry_id": choice.entry_id,
                "user_hash": self.hash_user(choice.user), "team_id": choice.team_id,
            })

    def record_handoff(self, handoff: Handoff) -> None:
        with self.engine.begin() as connection:
            connection.execute(tables.handoffs.insert(), {
                "id": handoff.id, "at": _utc(handoff.at), "question_id": handoff.question_id,
                "user_hash": self.hash_user(handoff.user), "target": handoff.target[:200], "team_id": handoff.team_id,
            })

    def resolve_handoff(self, handoff_id: str, user: str) -> bool:
        h = tables.handoffs.c
        with self.engine.begin() as connection:
            return connection.execute(update(tables.handoffs).where(h.id == handoff_id, h.resolved_at.is_(None)).values(
                resolved_at=datetime.now(UTC), resolver_hash=self.hash_user(user))).rowcount == 1

    def claim(self, key: str, ttl_s: float | None = None) -> bool:
        """Insert the key, or take it over once expired; the database decides who was first."""
        now = datetime.now(UTC)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        hashed = hashlib.sha256(key.encode()).hexdigest()  # keys name channels and messages
        ttl = self._claim_ttl if ttl_s is None else timedelta(seconds=ttl_s)
        statement = dialect.insert(tables.claims).values(key=hashed, expires_at=now + ttl)
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"expires_at": statement.excluded.expires_at},
            where=tables.claims.c.expires_at < now,
        )
        with self.engine.begin() as connection:  # a row comes back only if inserted or taken over
            return connection.execute(statement.returning(tables.claims.c.key)).first() is not None

    def release(self, key: str) -> None:
        hashed = hashlib.sha256(key.encode()).hexdigest()
        with self.engine.begin() as connection:
            connection.execute(delete(tables.claims).where(tables.claims.c.key == hashed))

    def questions(self, since: datetime) -> list[Question]:
        q = tables.questions.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(tables.questions).where(q.at >= _utc(since)).order_by(q.at)).mappings()
            return [_question(r) for r in rows]

    def gaps(self, since: datetime, limit: int, team: str | None = None) -> list[tuple[Question, bool]]:
        """Selected, ordered and cut by the database (an index on `at`), never all questions."""
        q, f = tables.questions.c, tables.feedback.c
        disliked = exists().where(f.question_id == q.id, ~f.helpful)
        statement = (select(tables.questions, disliked.label("disliked"))
                     .where(q.at >= _utc(since), _within(tables.questions, team), q.normalized != "",
                            q.entry_id.is_(None) | disliked)
                     .order_by(q.at.desc(), q.id).limit(limit))
        with self.engine.connect() as connection:
            return [(_question(r), bool(r["disliked"])) for r in connection.execute(statement).mappings()]

    def feedback(self, since: datetime) -> list[Feedback]:
        f = tables.feedback.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(tables.feedback).where(f.at >= _utc(since)).order_by(f.at)).mappings()
            return [Feedback(r["question_id"], r["entry_id"], r["user_hash"], r["helpful"], _utc(r["at"]), r["team_id"])
                    for r in rows]

    def choices(self, since: datetime) -> list[Choice]:
        c = tables.choices.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(tables.choices).where(c.at >= _utc(since)).order_by(c.at)).mappings()
            return [Choice(r["question_id"], r["entry_id"], r["user_hash"], _utc(r["at"]), r["team_id"]) for r in rows]

    def usage(self, since: datetime, top: int, team: str | None = None) -> Usage:
        """Grouped and counted in SQL: rows per day and method, never per question."""
        q, f, h = tables.questions.c, tables.feedback.c, tables.handoffs.c
        asked_in = and_(q.at >= _utc(since), _within(tables.questions, team))
        clicked_in = and_(f.at >= _utc(since), _within(tables.feedback, team))
        method = case((q.answered, q.method), else_="none")
        n = func.count().label("n")
        asked, clicked = self._day(q.at), self._day(f.at)  # one expression each: PostgreSQL matches them by bind
        with self.engine.connect() as connection:
            by_day = connection.execute(select(asked, method, n).where(asked_in).group_by(asked, method)).all()
            feedback_by_day = connection.execute(select(clicked, f.helpful, n).where(clicked_in)
                                                 .group_by(clicked, f.helpful)).all()
            entry = self._unindexed(q.entry_id)  # the period's slice of the usage index, not all time's entry ids
            top_entries = connection.execute(
                select(entry, n).where(asked_in, q.answered)  # answered: there is an entry
                .group_by(entry).order_by(n.desc(), entry).limit(top)).all()
            unhelpful = connection.execute(
                select(f.entry_id, n).where(clicked_in, ~f.helpful)
                .group_by(f.entry_id).order_by(n.desc(), f.entry_id).limit(top)).all()
            handoffs, resolved = connection.execute(select(func.count(), func.count(h.resolved_at)).where(
                h.at >= _utc(since), _within(tables.handoffs, team))).one()
        return Usage([(_date(d), m, c) for d, m, c in by_day], [(_date(d), bool(h), c) for d, h, c in feedback_by_day],
                     [(e, c) for e, c in top_entries], [(e, c) for e, c in unhelpful], handoffs, resolved)

    def _unindexed(self, column: Column) -> Any:
        """`column`, kept from steering SQLite to its own index: grouping by entry id, SQLite
        scanned that index over every question ever kept (then read each row for its time)
        rather than the report period's slice of the usage index. PostgreSQL plans by statistics."""
        if self.engine.dialect.name == "sqlite":
            return literal_column(f"+{column.table.name}.{column.name}").label(column.name)  # unary +: no index
        return column

    def _day(self, column: Column) -> Any:
        """The UTC calendar day of a timestamp column, in this database's SQL."""
        if self.engine.dialect.name == "postgresql":
            return func.date(func.timezone(literal_column("'UTC'"), column))
        return func.date(column)  # SQLite keeps timestamps in UTC already

    def delete_before(self, cutoff: datetime) -> int:
        """Retention: remove records older than `cutoff`, proposals decided before it, and
        expired claims; returns rows removed. Pending proposals wait however long it takes."""
        removed = 0
        p = tables.proposals.c
        with self.engine.begin() as connection:
            for table in (tables.questions, tables.feedback, tables.choices, tables.handoffs):
                removed += connection.execute(delete(table).where(table.c.at < _utc(cutoff))).rowcount
            removed += connection.execute(delete(tables.proposals).where(p.decided_at < _utc(cutoff),
                                                                         p.status != PENDING)).rowcount
            connection.execute(delete(tables.claims).where(tables.claims.c.expires_at < datetime.now(UTC)))
        return removed

    def add_proposal(self, proposal: Proposal) -> None:
        row = {**_content(proposal), "id": proposal.id, "at": _utc(proposal.at), "proposer": proposal.proposer,
               "origin": proposal.origin, "link": proposal.link, "status": proposal.status,
               "reviewer": proposal.reviewer, "note": proposal.note,
               "decided_at": _utc(proposal.decided_at) if proposal.decided_at else None, "team_id": proposal.team_id}
        with self.engine.begin() as connection:
            connection.execute(tables.proposals.insert(), row)

    def proposal(self, proposal_id: str) -> Proposal | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(tables.proposals).where(tables.proposals.c.id == proposal_id)).mappings().first()
        return _proposal(row) if row else None

    def proposals(self, statuses: tuple[str, ...], limit: int, team: str | None = None) -> list[Proposal]:
        p = tables.proposals.c
        newest = (select(tables.proposals).where(p.status.in_(statuses), _within(tables.proposals, team))
                  .order_by(p.at.desc(), p.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            return [_proposal(r) for r in reversed(connection.execute(newest).mappings().all())]

    def move_proposal(self, proposal_id: str, before: tuple[str, ...], after: str, reviewer: str = "",
                      note: str = "", changes: Proposal | None = None, retake_stale: bool = False) -> bool:
        """One UPDATE guarded by the status, so the database picks the one caller that moves it.
        `retake_stale`: an approval that has been writing for over `APPROVAL_TIMEOUT` died on
        the way (a restart), and counts as in `before` too."""
        p = tables.proposals.c
        now = datetime.now(UTC)
        allowed = p.status.in_(before)
        if retake_stale:
            allowed = or_(allowed, and_(p.status == APPROVING, p.decided_at < now - APPROVAL_TIMEOUT))
        values = {"status": after, "reviewer": reviewer, "note": note, "decided_at": now,
                  **(_content(changes) if changes is not None else {})}
        with self.engine.begin() as connection:
            return connection.execute(update(tables.proposals).where(p.id == proposal_id, allowed)
                                      .values(**values)).rowcount == 1
