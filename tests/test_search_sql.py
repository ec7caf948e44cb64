"""Search against a real SQLite store built from the migration, with rows inserted by hand."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dossier import textnorm
from dossier.errors import QueryError
from dossier.store import search as search_module
from dossier.store.search import SearchHit, count, search

SCHEMA = Path(__file__).parent.parent / "dossier" / "store" / "migrations" / "0001_initial.sql"

PERSONS = [(1, "Maria Lopez"), (2, "Jose Garcia"), (3, "Ana Ruiz")]
IDENTITIES = [  # id, person, kind, value, context
    (1, 1, "name", "Maria (office)", "phone-a"),
    (2, 1, "phone", "+34 600 111 222", ""),
    (3, 1, "name", "Mari", "phone-b"),
    (4, 2, "name", "Jose", "phone-a"),
    (5, 3, "name", "Ana R.", "phone-a"),
    (6, 2, "phone", "+34 600 333 444", ""),
]
CONVERSATIONS = [(1, "wa-campaign", "Campaign team"), (2, "wa-family", "Familia López")]
# id, conversation, kind, sender identity, body, sent_at (UTC)
MESSAGES = [
    (1, 1, "text", 1, "I don't know the plan", "2016-08-01 09:00"),
    (2, 1, "text", 4, "don t worry, plan bravo is ready", "2016-08-02 10:00"),
    (3, 1, "text", 3, "We go with plan b tonight", "2016-08-03 11:00"),
    (4, 2, "text", 2, "Café con leche?", "2016-08-04 08:00"),
    (5, 2, "text", 5, "cafe later", "2016-08-05 12:00"),
    (6, 2, "text", 4, "🔥🔥 the money is gone!!!", "2016-08-06 00:30"),
    (7, 1, "system", None, "Maria added Ana", "2016-08-05 23:30"),
    (8, 1, "media", 1, "<Media omitted>", "2016-08-07 10:00"),
    (9, 1, "text", 5, "\u200eIMG-001.jpg (file attached)\nlook at this", "2016-08-07 11:00"),
    (10, 2, "text", 6, "Transfer the money tomorrow", "2016-08-08 09:00"),
    (11, 1, "poll", 4, "POLL:\nWhere?\nOPTION: bar", "2016-08-08 10:00"),
    (12, 1, "text", 1, "money money money; transferring now", "2016-08-09 10:00"),
    (13, 2, "text", 5, "Plan B!", "2016-08-09 11:00"),
    (14, 1, "text", 4, "see you at the\nplan   b meeting", "2016-08-10 09:00"),
    (15, 2, "text", 2, "meet at 10:30 for plan_b", "2016-08-10 10:00"),
]
ATTACHMENTS = [(1, 9, "IMG-001.jpg")]
ALL = {m[0] for m in MESSAGES}


def epoch(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp())


def create_store() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    conn.executemany("INSERT INTO persons(id, name) VALUES (?, ?)", PERSONS)
    conn.executemany(
        "INSERT INTO identities(id, person_id, kind, value, context) VALUES (?, ?, ?, ?, ?)",
        IDENTITIES,
    )
    conn.executemany(
        "INSERT INTO conversations(id, uid, platform, title, created_at) "
        "VALUES (?, ?, 'whatsapp', ?, '2024-01-01T00:00:00Z')",
        CONVERSATIONS,
    )
    return conn


def insert_message(
    conn: sqlite3.Connection, mid: int, conv: int, kind: str, sender: int | None, body: str, at: int
) -> None:
    conn.execute(
        "INSERT INTO messages(id, uid, conversation_id, kind, sender_id, body, body_search, "
        "match_hash, sent_at, local_text, tz, has_seconds, source_id, line_start, line_end, "
        "byte_start, byte_end) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '', 'UTC', 0, 1, ?, ?, 0, 0)",
        (mid, f"m{mid:04d}", conv, kind, sender, body, textnorm.search_text(body), at, mid, mid),
    )


def index_fts(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO messages_fts(rowid, body_search) SELECT id, body_search FROM messages"
    )


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    conn = create_store()
    for mid, conv, kind, sender, body, when in MESSAGES:
        insert_message(conn, mid, conv, kind, sender, body, epoch(when))
    conn.executemany("INSERT INTO attachments(id, message_id, name) VALUES (?, ?, ?)", ATTACHMENTS)
    index_fts(conn)
    yield conn
    conn.close()


def ids(conn: sqlite3.Connection, query: str, **kw: object) -> list[int]:
    return [h.message_id for h in search(conn, query, limit=100, **kw)]  # type: ignore[arg-type]


def found(conn: sqlite3.Connection, query: str, **kw: object) -> set[int]:
    return set(ids(conn, query, **kw))


# ---------------------------------------------------------------------------------------------
# Words, phrases, prefixes


def test_word_newest_first(conn: sqlite3.Connection) -> None:
    assert ids(conn, "money") == [12, 10, 6]


def test_words_are_anded(conn: sqlite3.Connection) -> None:
    assert ids(conn, "money transfer") == [10]


def test_words_are_case_insensitive(conn: sqlite3.Connection) -> None:
    assert ids(conn, "MONEY Transfer") == [10]


def test_diacritics_are_significant(conn: sqlite3.Connection) -> None:
    assert ids(conn, "café") == [4]
    assert ids(conn, "cafe") == [5]


def test_prefix(conn: sqlite3.Connection) -> None:
    assert ids(conn, "transf*") == [12, 10]


def test_bare_word_with_apostrophe_is_word_level(conn: sqlite3.Connection) -> None:
    # a bare word is matched by words (like the index); the quoted form is the exact one
    assert found(conn, "don't") == {1, 2}


def test_phrase_apostrophe_is_exact(conn: sqlite3.Connection) -> None:
    assert ids(conn, '"don\'t"') == [1]


def test_phrase_does_not_match_inside_a_longer_word(conn: sqlite3.Connection) -> None:
    # not "plan bravo" (2), not "plan_b" (15); case, a line break and extra spaces are not
    # significant (13, 14)
    assert ids(conn, '"plan b"') == [14, 13, 3]


def test_phrase_accents_are_exact(conn: sqlite3.Connection) -> None:
    assert ids(conn, '"café"') == [4]
    assert ids(conn, '"cafe"') == [5]


def test_phrase_punctuation_is_exact(conn: sqlite3.Connection) -> None:
    assert ids(conn, '"plan b!"') == [13]
    assert ids(conn, '"gone!!!"') == [6]
    assert ids(conn, '"money;"') == [12]


@pytest.mark.parametrize("query", ['"🔥"', '"!!!"', "🔥", '"🔥🔥 the"'])
def test_text_the_index_ignores_is_found_by_scanning(conn: sqlite3.Connection, query: str) -> None:
    assert ids(conn, query) == [6]


def test_unknown_prefix_is_searched_as_text(conn: sqlite3.Connection) -> None:
    assert ids(conn, "10:30") == [15]


def test_nothing_found(conn: sqlite3.Connection) -> None:
    assert ids(conn, "zebra") == []
    assert ids(conn, '"plan c"') == []


# ---------------------------------------------------------------------------------------------
# Operators


def test_from_matches_person_name(conn: sqlite3.Connection) -> None:
    assert ids(conn, "from:maria") == [15, 12, 8, 4, 3, 1]


@pytest.mark.parametrize(
    "query", ['from:"maria (office)"', "from:mari", 'from:"+34 600 111 222"', "from:600111222"]
)
def test_from_matches_any_identity_of_the_person(conn: sqlite3.Connection, query: str) -> None:
    assert found(conn, query) == {1, 3, 4, 8, 12, 15}


def test_from_with_a_quoted_full_name(conn: sqlite3.Connection) -> None:
    assert found(conn, 'from:"Jose Garcia"') == {2, 6, 10, 11, 14}


def test_from_nobody(conn: sqlite3.Connection) -> None:
    assert ids(conn, "from:nobody") == []


def test_not_from_keeps_authorless_messages(conn: sqlite3.Connection) -> None:
    assert found(conn, "-from:maria") == ALL - {1, 3, 4, 8, 12, 15}
    assert 7 in found(conn, "-from:maria")


def test_in_title_substring(conn: sqlite3.Connection) -> None:
    assert found(conn, "in:campaign") == {1, 2, 3, 7, 8, 9, 11, 12, 14}
    assert found(conn, "in:lópez") == {4, 5, 6, 10, 13, 15}


def test_in_exact_uid(conn: sqlite3.Connection) -> None:
    assert found(conn, "in:wa-family") == {4, 5, 6, 10, 13, 15}
    assert found(conn, "in:wa-fam") == set()  # a uid must be exact


def test_after_is_inclusive_from_midnight_utc(conn: sqlite3.Connection) -> None:
    assert found(conn, "after:2016-08-09") == {12, 13, 14, 15}
    assert found(conn, "after:2016-08-06") == {6, 8, 9, 10, 11, 12, 13, 14, 15}


def test_before_is_exclusive_at_midnight(conn: sqlite3.Connection) -> None:
    assert found(conn, "before:2016-08-03") == {1, 2}


def test_dates_use_the_case_zone(conn: sqlite3.Connection) -> None:
    # Madrid is UTC+2 in August: its 6 August starts at 5 August 22:00 UTC, so message 7
    # (23:30 UTC) is on the 6th there and on the 5th in UTC.
    assert 7 not in found(conn, "after:2016-08-06", tz="UTC")
    assert 7 in found(conn, "after:2016-08-06", tz="Europe/Madrid")
    assert 7 in found(conn, "before:2016-08-06", tz="UTC")
    assert 7 not in found(conn, "before:2016-08-06", tz="Europe/Madrid")


def test_date_with_time(conn: sqlite3.Connection) -> None:
    assert found(conn, "after:2016-08-10T09:00 before:2016-08-10T10:00") == {14}


def test_one_day(conn: sqlite3.Connection) -> None:
    assert found(conn, "after:2016-08-08 before:2016-08-09") == {10, 11}


@pytest.mark.parametrize(("kind", "expected"), [("poll", {11}), ("system", {7}), ("media", {8})])
def test_kind(conn: sqlite3.Connection, kind: str, expected: set[int]) -> None:
    assert found(conn, f"kind:{kind}") == expected


def test_has_attachment(conn: sqlite3.Connection) -> None:
    assert ids(conn, "has:attachment") == [9]


def test_has_media_is_media_kind_or_attachment(conn: sqlite3.Connection) -> None:
    assert ids(conn, "has:media") == [9, 8]


# ---------------------------------------------------------------------------------------------
# Negation, OR, grouping, combinations


def test_exclude_word(conn: sqlite3.Connection) -> None:
    assert ids(conn, "money -transfer") == [12, 6]


def test_only_negative_terms(conn: sqlite3.Connection) -> None:
    assert found(conn, "-money") == ALL - {6, 10, 12}
    assert found(conn, "-money -plan") == ALL - {1, 2, 3, 6, 10, 12, 13, 14, 15}


def test_exclude_phrase_is_exact_too(conn: sqlite3.Connection) -> None:
    # "plan bravo" (2) and "plan_b" (15) do not contain the phrase, so they stay
    assert found(conn, 'plan -"plan b"') == {1, 2, 15}
    assert found(conn, '-"plan b"') == ALL - {3, 13, 14}


def test_exclude_text_the_index_ignores(conn: sqlite3.Connection) -> None:
    assert found(conn, 'money -"🔥"') == {10, 12}


def test_or(conn: sqlite3.Connection) -> None:
    assert ids(conn, "café OR cafe") == [5, 4]


def test_or_mixing_text_and_operators(conn: sqlite3.Connection) -> None:
    assert found(conn, "kind:poll OR from:ana") == {5, 9, 11, 13}
    assert found(conn, '"plan b" OR has:attachment') == {3, 9, 13, 14}


def test_and_binds_tighter_than_or(conn: sqlite3.Connection) -> None:
    assert found(conn, "money transfer OR café") == {4, 10}


def test_parentheses(conn: sqlite3.Connection) -> None:
    assert found(conn, "(money OR café) -transfer") == {4, 6, 12}
    assert found(conn, "-(money OR plan)") == ALL - {1, 2, 3, 6, 10, 12, 13, 14, 15}


def test_text_with_operators(conn: sqlite3.Connection) -> None:
    assert ids(conn, "money from:maria") == [12]
    assert ids(conn, '"plan b" in:campaign') == [14, 3]
    assert ids(conn, "money after:2016-08-07 -from:jose") == [12]
    assert ids(conn, "money kind:poll") == []


# ---------------------------------------------------------------------------------------------
# Sorting, limits, snippets, scores


def test_oldest(conn: sqlite3.Connection) -> None:
    assert ids(conn, "money", sort="oldest") == [6, 10, 12]


def test_limit(conn: sqlite3.Connection) -> None:
    assert [h.message_id for h in search(conn, "money", limit=2)] == [12, 10]


def test_best_ranks_by_relevance(conn: sqlite3.Connection) -> None:
    hits = search(conn, "money", sort="best")
    assert hits[0].message_id == 12  # "money" three times
    scores = [h.score for h in hits]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]


def test_best_with_a_residual(conn: sqlite3.Connection) -> None:
    hits = search(conn, '"plan b" in:campaign', sort="best")
    assert {h.message_id for h in hits} == {3, 14}
    assert all(h.score is not None for h in hits)


def test_best_without_text_falls_back_to_newest(conn: sqlite3.Connection) -> None:
    hits = search(conn, "from:maria", sort="best")
    assert [h.message_id for h in hits] == [15, 12, 8, 4, 3, 1]
    assert all(h.score is None for h in hits)


def test_newest_has_no_score(conn: sqlite3.Connection) -> None:
    assert all(h.score is None for h in search(conn, "money"))


def test_hit_fields(conn: sqlite3.Connection) -> None:
    assert search(conn, "leche") == [SearchHit(4, "m0004", "Café con [leche]?", None)]


def test_snippet_markers(conn: sqlite3.Connection) -> None:
    hit = search(conn, "transfer", highlight=("<b>", "</b>"))[0]
    assert hit.snippet == "<b>Transfer</b> the money tomorrow"


def test_snippet_highlights_the_exact_phrase(conn: sqlite3.Connection) -> None:
    snippets = {h.message_id: h.snippet for h in search(conn, '"plan b"')}
    assert snippets[14] == "see you at the [plan b] meeting"
    assert snippets[13] == "[Plan B]!"


def test_snippet_for_an_emoji(conn: sqlite3.Connection) -> None:
    assert search(conn, '"🔥"')[0].snippet == "[🔥🔥] the money is gone!!!"


def test_snippet_marks_every_term(conn: sqlite3.Connection) -> None:
    assert search(conn, "money now")[0].snippet == "[money] [money] [money]; transferring [now]"


def test_snippet_of_a_prefix(conn: sqlite3.Connection) -> None:
    assert search(conn, "transf*")[0].snippet == "money money money; [transf]erring now"


def test_snippet_falls_back_to_the_index_for_word_level_matches(
    conn: sqlite3.Connection,
) -> None:
    snippets = {h.message_id: h.snippet for h in search(conn, "don't")}
    assert snippets[1] == "I [don't] know the plan"
    assert snippets[2].startswith("[don t] worry")


def test_snippet_without_text_terms_is_the_start_of_the_body(conn: sqlite3.Connection) -> None:
    assert search(conn, "kind:poll")[0].snippet == "POLL: Where? OPTION: bar"


def test_long_snippets_are_cut_around_the_match() -> None:
    conn = create_store()
    body = " ".join(f"word{i}" for i in range(200)) + " needle " + "tail " * 100
    insert_message(conn, 1, 1, "text", 1, body, 0)
    index_fts(conn)
    snippet = search(conn, "needle")[0].snippet
    assert "[needle]" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= search_module.SNIPPET_CHARS + 20
    head = search(conn, "from:maria")[0].snippet
    assert head.startswith("word0 ") and head.endswith("…")
    assert len(head) == search_module.SNIPPET_CHARS


# ---------------------------------------------------------------------------------------------
# count


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("money", 3),
        ("money -transfer", 2),
        ('"plan b"', 3),
        ("from:maria", 6),
        ("-money", len(ALL) - 3),
        ('"🔥"', 1),
        ("money from:maria", 1),
        ("zebra", 0),
    ],
)
def test_count(conn: sqlite3.Connection, query: str, expected: int) -> None:
    assert count(conn, query) == expected
    assert len(ids(conn, query)) == expected


def test_count_uses_the_zone(conn: sqlite3.Connection) -> None:
    assert count(conn, "after:2016-08-06", tz="Europe/Madrid") == 10
    assert count(conn, "after:2016-08-06") == 9


# ---------------------------------------------------------------------------------------------
# Errors


def test_parse_errors_surface(conn: sqlite3.Connection) -> None:
    with pytest.raises(QueryError, match="Unknown message kind"):
        search(conn, "kind:sticker")
    with pytest.raises(QueryError, match="empty"):
        count(conn, "")


def test_bad_sort(conn: sqlite3.Connection) -> None:
    with pytest.raises(QueryError, match="sort"):
        search(conn, "money", sort="random")


def test_bad_limit(conn: sqlite3.Connection) -> None:
    with pytest.raises(QueryError, match="limit"):
        search(conn, "money", limit=0)


def test_bad_zone(conn: sqlite3.Connection) -> None:
    with pytest.raises(QueryError, match="time zone"):
        search(conn, "after:2016-01-01", tz="Mars/Olympus")


def test_fts_syntax_is_never_exposed(conn: sqlite3.Connection) -> None:
    # FTS5 operators and specials typed by the user are searched as text
    assert ids(conn, "NEAR(money) ^money money:x") == []
    assert ids(conn, '"AND"') == []
    assert ids(conn, "col:money") == []


# ---------------------------------------------------------------------------------------------
# Ordering plans: the time-ordered walk must give exactly what the join-and-sort plan gives


def shuffled_store(n: int = 600) -> tuple[sqlite3.Connection, dict[int, int], dict[int, str]]:
    """Three sources whose rowids are in file order but whose times interleave."""
    rng = random.Random(7)
    conn = create_store()
    words = ["alpha", "beta", "gamma", "delta"]
    times: dict[int, int] = {}
    bodies: dict[int, str] = {}
    mid = 0
    for source in range(3):
        at = 1_000_000 + source * 50
        for _ in range(n // 3):
            mid += 1
            at += rng.randint(0, 40)  # equal times happen: ties go by id
            bodies[mid] = " ".join(rng.choices(words, k=3))
            times[mid] = at
            sender = rng.choice([1, 4, 5, None])
            insert_message(conn, mid, 1 + source % 2, "text", sender, bodies[mid], at)
    index_fts(conn)
    return conn, times, bodies


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("alpha", lambda b: "alpha" in b),
        ("alpha beta", lambda b: "alpha" in b and "beta" in b),
        ("-gamma", lambda b: "gamma" not in b),
        ("alpha -gamma", lambda b: "alpha" in b and "gamma" not in b),
    ],
)
@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize(
    ("cap", "budget", "gap", "runs"),
    [
        (0, 10**9, 1024, 32),  # walk, rowid runs
        (0, 10**9, 1, 10**9),  # walk, a query per id
        (0, 10**9, 1024, 0),  # walk, one query spanning the batch
        (0, 1, 1024, 32),  # walk gives up, join and sort
        (10**9, 10**9, 1024, 32),  # join and sort
    ],
)
def test_all_plans_order_exactly_by_time(
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    keep: object,
    sort: str,
    cap: int,
    budget: int,
    gap: int,
    runs: int,
) -> None:
    conn, times, bodies = shuffled_store()
    monkeypatch.setattr(search_module, "MIN_CAP", cap)
    monkeypatch.setattr(search_module, "MIN_BUDGET", budget)
    monkeypatch.setattr(search_module, "RUN_GAP", gap)
    monkeypatch.setattr(search_module, "MAX_RUNS", runs)
    assert callable(keep)
    matching = [i for i in times if keep(bodies[i])]
    expected = sorted(matching, key=lambda i: (times[i], i), reverse=sort == "newest")[:25]
    assert [h.message_id for h in search(conn, query, limit=25, sort=sort)] == expected


def test_walk_with_a_residual(monkeypatch: pytest.MonkeyPatch) -> None:
    conn, times, bodies = shuffled_store()
    monkeypatch.setattr(search_module, "MIN_CAP", 0)
    senders = dict(conn.execute("SELECT id, sender_id FROM messages").fetchall())
    matching = [i for i in times if "beta" in bodies[i] and senders[i] in (1, 2, 3)]
    expected = sorted(matching, key=lambda i: (times[i], i), reverse=True)[:10]
    assert [h.message_id for h in search(conn, "beta from:maria", limit=10)] == expected


def test_phrase_must_occur_on_word_boundaries_not_just_somewhere() -> None:
    # the index sees "plan b" (in "plan, b") and the text holds "plan b" (in "plan bravo"),
    # but nowhere does the exact phrase stand on its own
    conn = create_store()
    insert_message(conn, 1, 1, "text", 1, "plan, b or plan bravo", 0)
    insert_message(conn, 2, 1, "text", 1, "xplan b", 1)
    insert_message(conn, 3, 1, "text", 1, "ok: plan b.", 2)
    index_fts(conn)
    assert ids(conn, '"plan b"') == [3]
    assert ids(conn, '-"plan b"') == [2, 1]


@pytest.mark.parametrize(
    ("hay", "needle", "prefix", "expected"),
    [
        ("plan bravo", "plan b", False, -1),
        ("plan bravo", "plan b", True, 0),
        ("a plan b", "plan b", False, 2),
        ("aplan b", "plan b", False, -1),
        ("plan bé", "plan b", False, -1),
        ("plan b_x", "plan b", False, 0),  # "_" separates words, as in the index
        ("wow!!!!", "!!!", False, 3),
        ("x🔥y", "🔥", False, 1),
        ("", "x", False, -1),
    ],
)
def test_find_phrase(hay: str, needle: str, prefix: bool, expected: int) -> None:
    assert search_module.find_phrase(hay, needle, 0, prefix) == expected


@pytest.mark.parametrize(("gap", "runs"), [(1024, 32), (1, 10**9), (1024, 0), (3, 2)])
def test_fts_members_is_exact(monkeypatch: pytest.MonkeyPatch, gap: int, runs: int) -> None:
    conn, times, bodies = shuffled_store()
    monkeypatch.setattr(search_module, "RUN_GAP", gap)
    monkeypatch.setattr(search_module, "MAX_RUNS", runs)
    rng = random.Random(3)
    for _ in range(5):
        sample = rng.sample(sorted(times), 50)
        expected = {i for i in sample if "delta" in bodies[i]}
        assert search_module._fts_members(conn, '"delta"', sample) == expected
