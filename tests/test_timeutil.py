"""Local times to UTC, with daylight-saving changes flagged, not guessed silently."""

from __future__ import annotations

from datetime import UTC, datetime

from dossier.timeutil import AMBIGUOUS, NONEXISTENT, LocalToUtc


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def test_summer_and_winter_offsets() -> None:
    conv = LocalToUtc("Europe/London")
    assert conv.convert(datetime(2024, 1, 10, 12, 0)) == (
        int(datetime(2024, 1, 10, 12, 0, tzinfo=UTC).timestamp()),
        "",
    )
    epoch, flag = conv.convert(datetime(2024, 7, 10, 12, 0, 30))
    assert utc(epoch) == datetime(2024, 7, 10, 11, 0, 30) and flag == ""


def test_time_in_the_spring_gap_is_flagged() -> None:
    conv = LocalToUtc("Europe/London")
    epoch, flag = conv.convert(datetime(2024, 3, 31, 1, 30))
    assert flag == NONEXISTENT
    assert utc(epoch) == datetime(2024, 3, 31, 1, 30)  # = 02:30 BST, shifted past the gap


def test_repeated_autumn_hour_is_flagged_and_takes_the_first() -> None:
    conv = LocalToUtc("Europe/London")
    epoch, flag = conv.convert(datetime(2024, 10, 27, 1, 30))
    assert flag == AMBIGUOUS
    assert utc(epoch) == datetime(2024, 10, 27, 0, 30)
    # the hour either side is not flagged
    assert conv.convert(datetime(2024, 10, 27, 2, 30))[1] == ""
    assert conv.convert(datetime(2024, 10, 27, 0, 30))[1] == ""


def test_half_hour_zone_and_southern_dst() -> None:
    conv = LocalToUtc("Australia/Adelaide")  # +10:30 in January (summer)
    epoch, flag = conv.convert(datetime(2024, 1, 15, 10, 30))
    assert utc(epoch) == datetime(2024, 1, 15, 0, 0) and flag == ""
    assert conv.convert(datetime(2024, 4, 7, 2, 30))[1] == AMBIGUOUS


def test_half_hour_clock_change_is_caught() -> None:
    conv = LocalToUtc("Australia/Lord_Howe")  # clocks go forward 30 minutes at 02:00
    assert conv.convert(datetime(2024, 10, 6, 2, 15))[1] == NONEXISTENT
    assert conv.convert(datetime(2024, 10, 6, 2, 45))[1] == ""
    assert conv.convert(datetime(2024, 10, 6, 1, 45))[1] == ""


def test_same_answer_whatever_the_order_of_calls() -> None:
    times = [datetime(2024, 3, 31, h, m) for h in range(4) for m in (0, 30, 59)]
    forward = LocalToUtc("Europe/London")
    backward = LocalToUtc("Europe/London")
    expected = [forward.convert(t) for t in times]
    assert [backward.convert(t) for t in reversed(times)] == list(reversed(expected))
