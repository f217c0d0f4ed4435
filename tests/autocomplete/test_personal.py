"""The personal layer learns what the user sends, persists it in the user data folder, and forgets on clear."""

from __future__ import annotations

import threading

from assistant.core.appdata.storage import db_path
from assistant.core.text.personal import DB_NAME, MAX_WEIGHT, PersonalModel


def test_learns_a_phrase_and_weights_by_evidence():
    pm = PersonalModel()
    dist, weight = pm.distribution(["at", "the"])
    assert dist == {} and weight == 0.0
    pm.learn("See you at the gym")
    dist, w1 = pm.distribution(["see", "you", "at", "the"])
    assert max(dist, key=dist.get) == "gym"
    assert 0.5 < sum(dist.values()) < 1.0  # the rest stands for words the user never sent
    pm.learn("see you at the gym!")
    _, w2 = pm.distribution(["at", "the"])
    assert 0 < w1 < w2 < MAX_WEIGHT
    _, w_other = pm.distribution(["what", "a"])  # only unigram evidence: small weight
    assert w_other < w1


def test_prefix_filters_personal_words():
    pm = PersonalModel()
    pm.learn("Call Anneliese tomorrow")
    dist, _ = pm.distribution(["please"], prefix="ann")
    assert set(dist) == {"anneliese"}
    dist, _ = pm.distribution([], prefix="zz")
    assert dist == {}


def test_first_word_of_a_message_is_learned_after_the_start_token():
    pm = PersonalModel()
    pm.learn("Howdy partner")
    dist, weight = pm.distribution([])
    assert max(dist, key=dist.get) == "howdy" and weight > 0


def test_persists_across_instances_and_clears(assistant_home):
    pm = PersonalModel()
    pm.learn("meet me at the gym")
    pm.close()
    assert db_path(DB_NAME).is_file() and str(db_path(DB_NAME)).startswith(str(assistant_home))
    again = PersonalModel()
    assert again.size() > 0
    assert "gym" in again.distribution(["at", "the"])[0]
    again.clear()
    assert again.size() == 0
    assert again.distribution(["at", "the"]) == ({}, 0.0)
    third = PersonalModel()
    assert third.size() == 0


def test_concurrent_learning_from_threads():
    pm = PersonalModel()

    def worker(i: int) -> None:
        for _ in range(20):
            pm.learn(f"thread {i} says hello")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dist, _ = pm.distribution(["says"])
    assert max(dist, key=dist.get) == "hello"
    fresh = PersonalModel()  # reads the database: every update reached it
    assert list(fresh.distribution(["says"], prefix="hel")[0]) == ["hello"]
    assert fresh.size() == pm.size()
    row = fresh._db().execute("SELECT count FROM ngrams WHERE context = 'says' AND word = 'hello'").fetchone()
    assert row["count"] == 80


def test_empty_and_huge_messages():
    pm = PersonalModel()
    assert pm.learn("") == 0
    assert pm.learn("   ...   ") == 3
    assert pm.learn("word " * 50_000) <= 400


def test_unigram_evidence_alone_keeps_the_weight_small():
    pm = PersonalModel()
    for i in range(300):
        pm.learn(f"lots of words here {i}")
    _, weight = pm.distribution(["completely", "unrelated"])
    assert 0 < weight <= 0.6 * 0.5 / 2.5 + 1e-9
