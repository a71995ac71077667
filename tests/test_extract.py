"""Prose extraction: places, times, durations, counts, causes, each with its evidence span."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawlers.extract import (
    EVIDENCE_JOIN,
    Facts,
    extract_count,
    extract_duration_minutes,
    extract_facts,
    extract_places,
    extract_time_range,
)

PUB = datetime(2024, 6, 19, 14, 0, tzinfo=UTC)  # a Wednesday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spans_in(evidence: str, *texts: str) -> bool:
    """Every span of an evidence value is a substring of one of the inputs."""
    return all(any(part in t for t in texts) for part in evidence.split(EVIDENCE_JOIN))


# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default", "states", "counties"),
    [
        (
            "The outage hit Douglas and Sarpy counties in Nebraska.",
            None,
            ["NE"],
            ["31055", "31153"],
        ),
        ("Dispatchers in Minnehaha County took calls.", "SD", ["SD"], ["46099"]),
        (
            "Lincoln, Keith, and Perkins Counties lost 911.",
            "NE",
            ["NE"],
            ["31111", "31101", "31135"],
        ),
        ("The outage hit Sioux Falls, S.D., on Tuesday.", None, ["SD"], ["46099"]),
        ("Douglas County, Nev., reported the outage.", None, ["NV"], ["32005"]),
        ("Residents in Lincoln could not reach 911.", "NE", ["NE"], ["31109"]),  # Lancaster
        ("Washoe County and Carson City were affected.", "NV", ["NV"], ["32031", "32510"]),
        ("Customers in Val Verde County could not call 911.", None, ["TX"], ["48465"]),  # unique
        ("Orleans Parish 911 was down.", "LA", ["LA"], ["22071"]),
    ],
)
def test_places(text: str, default: str | None, states: list[str], counties: list[str]) -> None:
    got_states, got_counties, evidence = extract_places(text, default_state=default)
    assert got_states == states
    assert got_counties == counties
    assert spans_in(evidence["county_fips"], text)


@pytest.mark.parametrize(
    ("text", "default", "states", "counties"),
    [
        # a person, not the county or the city
        ("President Lincoln said so.", "NE", ["NE"], []),
        # a bare city name without a place word before it is not a place
        ("Lincoln Electric said the outage was over.", "NE", ["NE"], []),
        # a county name several states share, and no state to place it
        ("Douglas County reported an outage.", None, [], []),
        # "Kansas City" is not Kansas, "Nevada County" is in California
        ("Kansas City police said nothing.", None, [], []),
        ("Nevada County, Calif., lost 911.", None, ["CA"], ["06057"]),
        # common words that are county names only with "County"
        ("The story of the day: Union members met.", "SD", ["SD"], []),
        ("The Washington Post reported it.", None, [], []),
        # "Lincoln County" is the county, never the city of Lincoln
        ("Lincoln County dispatch was down.", "NE", ["NE"], ["31111"]),
    ],
)
def test_place_hard_negatives(
    text: str, default: str | None, states: list[str], counties: list[str]
) -> None:
    got_states, got_counties, _ = extract_places(text, default_state=default)
    assert got_states == states
    assert got_counties == counties


def test_statewide_names_the_agency_state_with_evidence() -> None:
    states, counties, evidence = extract_places(
        "911 was down statewide across the Commonwealth.", default_state="MA"
    )
    assert states == ["MA"] and counties == []
    assert evidence["state_codes"] == "statewide | across the Commonwealth"


def test_default_state_without_any_place_has_no_evidence() -> None:
    states, counties, evidence = extract_places("911 calls failed.", default_state="TX")
    assert (states, counties, evidence) == (["TX"], [], {})


def test_state_abbreviations_need_context() -> None:
    assert extract_places("Omaha, Neb. and Pierre, SD")[0] == ["NE", "SD"]
    # "Mass." and "IN" without a "City, " before them are words, not states
    assert extract_places("A mass. IN the morning, Ind. officials met.")[0] == []


# --------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------

MA_TEXT = (
    "At approximately 1:15 p.m. on June 18, the State 911 Department became aware that 911 "
    "calls were not reaching dispatch centers statewide. The disruption lasted approximately "
    "two hours, and the system was fully restored at 3:15 p.m."
)


def test_time_range_of_a_statement_in_the_state_zone() -> None:
    start, end = extract_time_range(MA_TEXT, published_at=PUB, state_code="MA")
    assert start == (utc(2024, 6, 18, 17, 15), "1:15 p.m. on June 18")
    assert end == (utc(2024, 6, 18, 19, 15), "3:15 p.m.")


@pytest.mark.parametrize(
    ("text", "state", "start", "end"),
    [
        # a range; the first time takes the second's p.m.; "Tuesday" before the Wednesday
        (
            "911 was down from 1:15 to 3:15 p.m. Tuesday.",
            "MA",
            utc(2024, 6, 18, 17, 15),
            utc(2024, 6, 18, 19, 15),
        ),
        (
            "Between 1 and 3 p.m. yesterday 911 calls failed.",
            "MA",
            utc(2024, 6, 18, 17),
            utc(2024, 6, 18, 19),
        ),
        # past midnight, with the zone named in the text
        (
            "The outage began at 10:45 p.m. CDT on April 17 and was resolved at 1:10 a.m.",
            "SD",
            utc(2024, 4, 18, 3, 45),
            utc(2024, 4, 18, 6, 10),
        ),
        # a zone in the text wins over the state's (western South Dakota is Mountain time)
        (
            "911 calls failed from 8 p.m. MDT until 9:30 p.m. MDT on June 18.",
            "SD",
            utc(2024, 6, 19, 2),
            utc(2024, 6, 19, 3, 30),
        ),
        # no state, but the text names the zone
        ("At 1:15 p.m. ET 911 calls could not be completed.", None, utc(2024, 6, 18, 17, 15), None),
        # a calendar date with the year
        (
            "On Tuesday, June 18, 2024, at 1:15 p.m., 911 went down.",
            "MA",
            utc(2024, 6, 18, 17, 15),
            None,
        ),
    ],
)
def test_time_ranges(
    text: str, state: str | None, start: datetime | None, end: datetime | None
) -> None:
    got_start, got_end = extract_time_range(text, published_at=PUB, state_code=state)
    assert (got_start[0] if got_start else None) == start
    assert (got_end[0] if got_end else None) == end
    for got in (got_start, got_end):
        if got:
            assert got[1] in text


def test_planned_maintenance_is_in_the_future() -> None:
    start, end = extract_time_range(
        "911 will be down from 1 a.m. to 3 a.m. Saturday for scheduled maintenance.",
        published_at=PUB,
        state_code="NV",
    )
    assert start[0] == utc(2024, 6, 22, 8) and end[0] == utc(2024, 6, 22, 10)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Call 911. Offices are open 8 a.m. to 5 p.m. weekdays.", "TX"),  # not about an outage
        ("On June 18, 911 service was interrupted.", "MA"),  # a date alone is no time
        ("Tuesday afternoon 911 calls failed.", "MA"),  # a vague time of day
        ("At 1:15 p.m. 911 calls could not be completed.", None),  # no zone at all
    ],
)
def test_no_time_is_guessed(text: str, state: str | None) -> None:
    assert extract_time_range(text, published_at=PUB, state_code=state) == (None, None)


def test_a_not_yet_restored_time_is_not_the_end() -> None:
    text = (
        "Customers of one carrier could not reach 911 on April 17. Service for its customers "
        "had not been restored as of 1:15 a.m. on April 18."
    )
    start, end = extract_time_range(text, published_at=utc(2024, 4, 18, 14), state_code="TX")
    assert (start, end) == (None, None)


# --------------------------------------------------------------------------------------
# Duration and counts
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes", "span"),
    [
        ("The outage lasted for about two hours.", 120, "about two hours"),
        ("911 was down for nearly 37 hours.", 2220, "nearly 37 hours"),
        ("the outage lasted 2 hours and 39 minutes", 159, "lasted 2 hours and 39 minutes"),
        ("It was a 90-minute outage.", 90, "90-minute outage"),
        ("the two-hour outage ended", 120, "two-hour outage"),
        (
            "911 service was interrupted; it lasted an hour and a half",
            90,
            "lasted an hour and a half",
        ),
    ],
)
def test_durations(text: str, minutes: int, span: str) -> None:
    assert extract_duration_minutes(text) == (minutes, span)


@pytest.mark.parametrize(
    "text",
    [
        "Dispatchers are available 24 hours a day.",
        "911 was restored within 30 minutes.",
        "911 is expected to be down for the next two hours.",
        "In the past 24 hours, 911 was down twice.",
        "Call 911. The office is open for 8 hours.",
    ],
)
def test_duration_hard_negatives(text: str) -> None:
    assert extract_duration_minutes(text) is None


@pytest.mark.parametrize(
    ("text", "noun", "expected"),
    [
        ("911 calls from 12 PSAPs were affected.", "PSAPs", (12, "12 PSAPs")),
        ("The outage affected 41 of 68 911 centers.", "911 centers", (41, "41 of 68 911 centers")),
        ("More than 1,500 calls failed.", "calls", (1500, "More than 1,500 calls")),
        ("About 400 911 calls could not be completed.", "calls", (400, "About 400 911 calls")),
        (
            "It affected twelve public safety answering points.",
            "psaps",
            (12, "twelve public safety answering points"),
        ),
        (
            "39 of the 68 Public Safety Answering Points were affected.",
            "psaps",
            (39, "39 of the 68 Public Safety Answering Points"),
        ),
    ],
)
def test_counts(text: str, noun: str, expected: tuple[int, str]) -> None:
    assert extract_count(text, noun) == expected


@pytest.mark.parametrize(
    ("text", "noun"),
    [
        ("Nebraska has 68 PSAPs.", "psaps"),  # no outage in the sentence
        ("911 calls failed.", "calls"),  # "911" is the service, not a count
        ("911 calls from 12 PSAPs were affected.", "calls"),
        ("In 2024 calls failed.", "calls"),  # a year
        ("One of the PSAPs was down.", "psaps"),
        ("Most of the 20 emergency call centers were affected.", "psaps"),  # the total
        ("20 emergency call centers were affected.", "calls"),  # centers, not calls
    ],
)
def test_count_hard_negatives(text: str, noun: str) -> None:
    assert extract_count(text, noun) is None


# --------------------------------------------------------------------------------------
# All facts
# --------------------------------------------------------------------------------------


def test_facts_of_a_statement_with_evidence_for_each_field() -> None:
    title = "State 911 Department update on the June 18 statewide 911 outage"
    text = (
        MA_TEXT + " The preliminary review found that the outage was caused by a firewall. "
        "The interruption was not the result of a cyberattack. If you cannot reach 911, call "
        "your local police at 508-555-0142."
    )
    facts = extract_facts(text, title=title, published_at=PUB, default_state="MA")
    assert facts.state_codes == ["MA"] and facts.county_fips == []
    assert facts.started_at == utc(2024, 6, 18, 17, 15)
    assert facts.ended_at == utc(2024, 6, 18, 19, 15)
    assert facts.stated_duration_minutes == 120
    assert facts.cause == "firewall_or_security_device"
    assert facts.backup_phone == "508-555-0142"
    fields = facts.item_fields()
    assert set(fields["field_evidence"]) == set(fields) - {"field_evidence"}
    for evidence in fields["field_evidence"].values():
        assert spans_in(evidence, text, title)


def test_a_denied_cause_is_not_the_cause() -> None:
    facts = extract_facts(
        "911 was down for three hours. There is no sign of a cyberattack. A contractor cut a "
        "Lumen fiber line.",
        default_state="SD",
        published_at=PUB,
    )
    assert facts.cause == "fiber_cut"
    assert facts.provider == "Lumen"


def test_item_fields_leave_out_empty_fields() -> None:
    assert Facts().item_fields() == {}
    facts = extract_facts("The weather was fine.", default_state="NV", published_at=PUB)
    assert facts.item_fields() == {"state_codes": ["NV"]}
