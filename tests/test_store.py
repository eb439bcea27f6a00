import threading

from faqbot.store import Choice, Feedback, MemoryStore, Question


def question(**overrides: object) -> Question:
    fields = dict(text="How?", normalized="how", surface="dm", user="U1", channel="D1", entry_id="vpn",
                  score=0.9, method="semantic", answered=True)
    return Question(**{**fields, **overrides})


def test_records_keep_what_happened() -> None:
    store = MemoryStore()
    asked = question()
    store.record_question(asked)
    store.record_feedback(Feedback(asked.id, "vpn", "U2", helpful=False))
    store.record_choice(Choice(asked.id, "reset-password", "U1"))
    assert store.questions == [asked]
    assert store.feedback[0].question_id == asked.id and store.feedback[0].helpful is False
    assert store.choices[0].entry_id == "reset-password"
    assert question().id != asked.id  # each question gets its own id


def test_claim_is_first_come_only_until_it_expires() -> None:
    store = MemoryStore(claim_ttl_s=0.0)
    assert store.claim("a") and store.claim("a")  # expired at once
    store = MemoryStore()
    assert store.claim("a") is True
    assert store.claim("a") is False
    assert store.claim("b") is True


def test_claim_has_one_winner_across_threads() -> None:
    store = MemoryStore()
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(store.claim("event:Ev1"))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 15 + [True]
