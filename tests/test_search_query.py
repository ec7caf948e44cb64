"""The search query language: tokenizer, parser, tree shapes and error messages."""

from __future__ import annotations

from datetime import datetime

import pytest

from dossier.errors import QueryError
from dossier.model import MESSAGE_KINDS
from dossier.store.query import (
    After,
    And,
    Before,
    From,
    Has,
    In,
    Kind,
    Not,
    Or,
    Text,
    parse,
)


def w(text: str) -> Text:
    return Text(text)


def test_bare_words_are_anded() -> None:
    assert parse("money transfer") == And((w("money"), w("transfer")))


def test_single_word_is_not_wrapped() -> None:
    assert parse("  money  ") == w("money")


def test_phrase() -> None:
    assert parse('"plan b" now') == And((Text("plan b", phrase=True), w("now")))


def test_phrase_keeps_punctuation_and_accents_and_strips_edges() -> None:
    assert parse('" don\'t  café! "') == Text("don't  café!", phrase=True)


def test_phrase_text_is_normalised_like_the_index() -> None:
    # decomposed é (e + U+0301) and a zero-width space become what body_search holds
    assert parse('"cafe\u0301 x\u200by"') == Text("café xy", phrase=True)


def test_prefix() -> None:
    assert parse("transf*") == Text("transf", prefix=True)


def test_negations() -> None:
    assert parse('-spam -"plan b" -from:maria') == And(
        (Not(w("spam")), Not(Text("plan b", phrase=True)), Not(From("maria")))
    )


def test_only_negative_terms_are_allowed() -> None:
    assert parse("-spam") == Not(w("spam"))


def test_double_negation_cancels() -> None:
    assert parse("--spam") == w("spam")


def test_hyphen_inside_word_and_lone_hyphen_are_text() -> None:
    assert parse("well-known - x") == And((w("well-known"), w("-"), w("x")))


def test_or_binds_looser_than_and() -> None:
    assert parse("a b OR c") == Or((And((w("a"), w("b"))), w("c")))
    assert parse("a OR b c") == Or((w("a"), And((w("b"), w("c")))))


def test_or_chains_flatten() -> None:
    assert parse("a OR b OR c") == Or((w("a"), w("b"), w("c")))


def test_lowercase_or_is_a_word_and_uppercase_and_is_a_connector() -> None:
    assert parse("a or b") == And((w("a"), w("or"), w("b")))
    assert parse("a AND b") == And((w("a"), w("b")))


def test_parentheses_group() -> None:
    assert parse("(a OR b) c") == And((Or((w("a"), w("b"))), w("c")))
    assert parse("-(a OR b)") == Not(Or((w("a"), w("b"))))


def test_nested_groups_flatten_ands() -> None:
    assert parse("a (b c)") == And((w("a"), w("b"), w("c")))


def test_operators() -> None:
    q = 'from:"Maria Lopez" in:campaign kind:Poll has:attachment has:media'
    assert parse(q) == And(
        (From("Maria Lopez"), In("campaign"), Kind("poll"), Has("attachment"), Has("media"))
    )


def test_operator_names_are_case_insensitive() -> None:
    assert parse("FROM:maria") == From("maria")


def test_has_attachments_plural() -> None:
    assert parse("has:attachments") == Has("attachment")


def test_quoted_operator_value_keeps_parentheses() -> None:
    assert parse('from:"maria (office)"') == From("maria (office)")


def test_dates() -> None:
    assert parse("after:2016-08-06") == After(datetime(2016, 8, 6))
    assert parse("before:2016/8/7T14:30") == Before(datetime(2016, 8, 7, 14, 30))
    assert parse("after:2016-08-06T01:02:03") == After(datetime(2016, 8, 6, 1, 2, 3))


def test_unknown_prefixes_are_text() -> None:
    assert parse("10:30 https://x.org re:budget") == And(
        (w("10:30"), w("https://x.org"), w("re:budget"))
    )


def test_quote_inside_word_starts_a_phrase() -> None:
    assert parse('say"plan b"') == And((w("say"), Text("plan b", phrase=True)))


# ---------------------------------------------------------------------------------------------
# Errors


def error(query: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse(query)
    assert info.value.hint, "every error says what to try"
    return info.value


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query(query: str) -> None:
    assert "empty" in error(query).message


def test_unbalanced_quote_says_where() -> None:
    e = error('money "plan b')
    assert "Unbalanced quote" in e.message and "position 7" in e.message


def test_empty_phrase() -> None:
    assert "Empty phrase" in error('a ""').message
    assert "Empty phrase" in error('"  "').message


def test_misspelt_operator_suggests_the_right_one() -> None:
    e = error("form:maria")
    assert "from:" in e.message
    assert '"form:maria"' in (e.hint or "")


@pytest.mark.parametrize("query", ["kidn:poll", "befor:2016-01-01", "frm:x"])
def test_near_miss_operators(query: str) -> None:
    assert "Unknown operator" in error(query).message


def test_unknown_kind_lists_the_valid_kinds() -> None:
    e = error("kind:sticker")
    assert "sticker" in e.message
    for kind in MESSAGE_KINDS:
        assert kind in (e.hint or "")


def test_unknown_has_value() -> None:
    e = error("has:link")
    assert "has:link" in e.message and "has:attachment" in (e.hint or "")


@pytest.mark.parametrize(
    "query", ["after:yesterday", "after:2016-13-01", "before:2016-02-30", "after:2016-08-06T25:00"]
)
def test_bad_dates(query: str) -> None:
    e = error(query)
    assert query in e.message and "YYYY-MM-DD" in (e.hint or "")


@pytest.mark.parametrize("query", ["from:", "in:", 'from:""', "kind:", "after:"])
def test_operator_without_value(query: str) -> None:
    assert "needs a value" in error(query).message


@pytest.mark.parametrize("query", ["flag:insult", "around:x"])
def test_reserved_operators_are_refused(query: str) -> None:
    assert "not available yet" in error(query).message


def test_email_operators_parse() -> None:
    from dossier.store.query import Dkim, Recipient, Subject, parse

    assert parse("to:maria") == Recipient(("to", "cc", "bcc"), "maria")
    assert parse("cc:tom") == Recipient(("cc",), "tom")
    assert parse('subject:"exit poll"') == Subject("exit poll")
    assert parse("dkim:PASS") == Dkim("pass")
    assert "Unknown dkim" in error("dkim:maybe").message


@pytest.mark.parametrize("query", ["a OR", "OR a", "a OR OR b", "(a OR) b", "a AND", "AND a"])
def test_dangling_connectors(query: str) -> None:
    assert "both sides" in error(query).message


@pytest.mark.parametrize("query", ["(a b", "a)", ")", "(", "((a)"])
def test_unbalanced_parentheses(query: str) -> None:
    assert "Unbalanced parenthesis" in error(query).message


def test_empty_parentheses() -> None:
    assert "Empty parentheses" in error("a ()").message


def test_lone_minus_is_text() -> None:
    assert parse("-") == w("-")
    assert parse("- OR b") == Or((w("-"), w("b")))


def test_minus_before_closing_parenthesis_is_not_a_negation() -> None:
    assert "Unbalanced parenthesis" in error("a -)").message


def test_nothing_to_exclude() -> None:
    assert "Nothing to exclude" in error("a -OR b").message


def test_lone_star() -> None:
    assert "prefix" in error("a *").message


def test_error_str_includes_the_hint() -> None:
    assert "What to do:" in str(error("kind:nope"))
