#!/usr/bin/env python3
"""Independent reference for Sluice's schedules: croniter (cron) and python-dateutil (RRULE).

Computes the next fire times of every case below with croniter / dateutil and writes
Tests/FlowsTests/Fixtures/schedule-reference.json, which Tests/FlowsTests/ScheduleReferenceTests.swift
compares with CronSchedule and RRuleSchedule.

Where Sluice's pinned daylight-saving policy (Vixie cron's) differs from the reference on purpose, the
case carries `sluice` (the fire times Sluice must give, written here by hand from the policy) and
`why`; the Swift test checks that the reference really differs there, so the list stays honest.

Run:  scripts/cron-reference.py            (makes a venv with croniter and python-dateutil under
                                           ${SCRATCH:-${TMPDIR:-/tmp}}/sluice-cron-reference and re-runs in it)
"""
import json
import os
import subprocess
import sys
import venv

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "Tests", "FlowsTests", "Fixtures", "schedule-reference.json")
VENV = os.path.join(os.environ.get("SCRATCH", os.environ.get("TMPDIR", "/tmp")), "sluice-cron-reference")
PINS = ["croniter==7.0.0", "python-dateutil==2.9.0.post0", "tzdata"]


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if sys.prefix == os.path.abspath(VENV):
        return
    if not os.path.exists(python):
        venv.create(VENV, with_pip=True)
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", *PINS])
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


# (expression, zone, after, count). `after` carries its offset; results are strictly after it.
CRON = [
    # syntax
    ("*/15 * * * *", "UTC", "2026-01-01T00:07:00+00:00", 5),
    ("10-50/5 * * * *", "UTC", "2026-01-01T00:49:00+00:00", 6),
    ("5/20 * * * *", "UTC", "2026-01-01T00:00:00+00:00", 4),
    ("0 9-17/2 * * MON-FRI", "UTC", "2026-01-02T12:00:00+00:00", 6),
    ("0 0 1,15 * *", "UTC", "2026-01-01T00:00:00+00:00", 5),
    ("0 12 * JAN,JUL *", "UTC", "2026-01-30T13:00:00+00:00", 4),
    ("30 4 * * SUN", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("30 4 * * 0", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("30 4 * * 7", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("0 0 * * 5-7", "UTC", "2026-01-01T00:00:00+00:00", 6),
    ("0 0 * * mon,wed,fri", "UTC", "2026-01-01T00:00:00+00:00", 6),
    ("0 0 ? * MON", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("0 6 * feb-apr 1", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("@hourly", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("@daily", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("@midnight", "UTC", "2026-01-01T12:00:00+00:00", 2),
    ("@weekly", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("@monthly", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("@yearly", "UTC", "2026-01-01T00:00:00+00:00", 2),
    ("@annually", "UTC", "2026-06-01T00:00:00+00:00", 2),
    # month ends, leap days, L, #, nL
    ("0 0 29 2 *", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("0 0 29 2 *", "UTC", "2096-03-01T00:00:00+00:00", 2),
    ("0 0 31 * *", "UTC", "2026-01-31T00:00:00+00:00", 6),
    ("0 0 30 * *", "UTC", "2026-01-01T00:00:00+00:00", 4),
    ("0 0 L * *", "UTC", "2027-11-15T00:00:00+00:00", 6),
    ("0 0 L 2 *", "UTC", "2026-01-01T00:00:00+00:00", 4),
    ("0 8 * * 5#2", "UTC", "2026-01-01T00:00:00+00:00", 5),
    ("0 8 * * 1#5", "UTC", "2026-01-01T00:00:00+00:00", 4),
    ("0 8 * * 5L", "UTC", "2026-01-01T00:00:00+00:00", 5),
    ("0 8 * * 0L", "UTC", "2026-01-01T00:00:00+00:00", 3),
    ("0 18 * * 6#1", "Europe/Berlin", "2026-01-01T00:00:00+01:00", 3),
    # Vixie: both day fields restricted means either
    ("0 0 13 * 5", "UTC", "2026-01-01T00:00:00+00:00", 6),
    ("0 9 1 * MON", "UTC", "2026-06-01T00:00:00+00:00", 5),
    ("0 0 1-7 * 1", "UTC", "2026-01-01T00:00:00+00:00", 6),
    ("0 0 */10 * 1", "UTC", "2026-01-01T00:00:00+00:00", 6),
    # time zones away from DST changes
    ("0 9 * * *", "Asia/Kolkata", "2026-05-01T00:00:00+05:30", 2),
    ("0 9 * * *", "America/New_York", "2026-07-01T00:00:00-04:00", 2),
    # America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
    ("30 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 3),
    ("0 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 3),
    ("0,30 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 3),
    ("30 2 8 3 *", "America/New_York", "2026-01-01T00:00:00-05:00", 2),
    ("0 * * * *", "America/New_York", "2026-03-08T00:30:00-05:00", 4),
    ("30 * * * *", "America/New_York", "2026-03-08T00:45:00-05:00", 3),
    ("*/15 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 5),
    ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00", 3),
    ("15 1 * * *", "America/New_York", "2026-11-01T01:20:00-04:00", 2),
    ("0 1 * * *", "America/New_York", "2026-11-01T01:00:00-05:00", 1),
    ("0 * * * *", "America/New_York", "2026-11-01T00:30:00-04:00", 4),
    ("*/20 * * * *", "America/New_York", "2026-11-01T01:50:00-04:00", 4),
    ("*/30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00", 5),
    ("0 0 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 2),
    # Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT
    ("30 1 * * *", "Europe/London", "2026-03-28T12:00:00+00:00", 2),
    ("30 1 * * *", "Europe/London", "2026-10-24T12:00:00+01:00", 2),
    ("0 * * * *", "Europe/London", "2026-03-29T00:30:00+00:00", 3),
    ("0 * * * *", "Europe/London", "2026-10-25T00:30:00+01:00", 3),
    # Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET
    ("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00", 2),
    ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00", 2),
    ("0 * * * *", "Europe/Berlin", "2026-10-25T01:30:00+02:00", 3),
    ("*/30 * * * *", "Europe/Berlin", "2026-03-29T01:15:00+01:00", 3),
    # Australia/Sydney: 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT
    ("30 2 * * *", "Australia/Sydney", "2026-04-04T12:00:00+11:00", 2),
    ("30 2 * * *", "Australia/Sydney", "2026-10-03T12:00:00+10:00", 2),
    ("0 * * * *", "Australia/Sydney", "2026-04-05T01:30:00+11:00", 3),
    ("0 * * * *", "Australia/Sydney", "2026-10-04T01:30:00+10:00", 2),
    # Australia/Lord_Howe (30-minute shift): 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11
    ("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00", 2),
    ("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30", 2),
    ("*/15 * * * *", "Australia/Lord_Howe", "2026-04-05T01:20:00+11:00", 6),
    ("*/15 * * * *", "Australia/Lord_Howe", "2026-10-04T01:50:00+10:30", 3),
    ("0 * * * *", "Australia/Lord_Howe", "2026-04-05T00:30:00+11:00", 3),
]

# Cases where Sluice follows Vixie cron on purpose and croniter does not: the fire times Sluice gives,
# worked out by hand from the policy in docs/scheduling.md.
VIXIE_FALL_BACK = ("a fixed-time job whose wall time occurs twice when clocks go back fires once, at the first "
                   "occurrence (Vixie cron); croniter fires it at both occurrences")
CRON_DIFFERENCES = {
    ("*/15 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00"): (
        ["2026-03-09T02:00:00-04:00", "2026-03-09T02:15:00-04:00", "2026-03-09T02:30:00-04:00",
         "2026-03-09T02:45:00-04:00", "2026-03-10T02:00:00-04:00"],
        "the minute field starts with *, so the job follows elapsed time (Vixie cron): it runs at the wall times "
        "that occur, and 02:00-02:59 does not occur on 2026-03-08; croniter runs it once at 03:00 EDT"),
    ("0 0 */10 * 1", "UTC", "2026-01-01T00:00:00+00:00"): (
        ["2026-05-11T00:00:00+00:00", "2026-06-01T00:00:00+00:00", "2026-08-31T00:00:00+00:00",
         "2026-09-21T00:00:00+00:00", "2026-12-21T00:00:00+00:00", "2027-01-11T00:00:00+00:00"],
        "the day-of-month field starts with *, so Vixie cron requires both day fields (days 1, 11, 21, 31 that are "
        "Mondays); croniter takes */10 as restricted and fires on either"),
    ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00"): (
        ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00"], VIXIE_FALL_BACK),
    ("15 1 * * *", "America/New_York", "2026-11-01T01:20:00-04:00"): (
        ["2026-11-02T01:15:00-05:00", "2026-11-03T01:15:00-05:00"], VIXIE_FALL_BACK),
    ("30 1 * * *", "Europe/London", "2026-10-24T12:00:00+01:00"): (
        ["2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"], VIXIE_FALL_BACK),
    ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00"): (
        ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"], VIXIE_FALL_BACK),
    ("30 2 * * *", "Australia/Sydney", "2026-04-04T12:00:00+11:00"): (
        ["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"], VIXIE_FALL_BACK),
    ("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00"): (
        ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"], VIXIE_FALL_BACK),
}

RRULE = [
    ("DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=10", "2026-01-01T00:00:00+00:00", 12),
    ("DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR", "2026-01-01T00:00:00+00:00", 6),
    ("DTSTART;TZID=Europe/Berlin:20260101T070000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1", "2026-01-01T00:00:00+00:00", 6),
    ("DTSTART:20260131T120000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=31", "2026-01-01T00:00:00+00:00", 5),
    ("DTSTART:20240229T000000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2024-03-01T00:00:00+00:00", 2),
    ("DTSTART;TZID=America/New_York:20260101T170000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2026-01-01T00:00:00+00:00", 6),
    ("DTSTART:20260101T060000Z\nRRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20260120T060000Z", "2026-01-01T00:00:00+00:00", 10),
    ("DTSTART;TZID=Europe/London:20260101T090000\nRRULE:FREQ=HOURLY;INTERVAL=5;BYHOUR=9,10,11,12,13,14,15,16,17", "2026-01-01T00:00:00+00:00", 8),
    ("DTSTART;TZID=Europe/London:20260101T000000\nRRULE:FREQ=MINUTELY;INTERVAL=20;BYHOUR=9", "2026-01-01T00:00:00+00:00", 7),
    ("DTSTART;TZID=America/New_York:20260105T080000\nRRULE:FREQ=YEARLY;BYDAY=1MO", "2026-01-01T00:00:00+00:00", 3),
    ("DTSTART;TZID=America/New_York:20261126T120000\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", "2026-01-01T00:00:00+00:00", 3),
    ("DTSTART;TZID=America/New_York:19970902T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,SU;COUNT=8", "1997-01-01T00:00:00+00:00", 9),
    ("DTSTART;TZID=America/New_York:20260301T090000\nRRULE:FREQ=DAILY", "2026-03-06T00:00:00+00:00", 4),
    ("DTSTART;TZID=America/New_York:20260301T090000\nRRULE:FREQ=DAILY;COUNT=20", "2026-03-15T00:00:00+00:00", 10),
    ("DTSTART;TZID=Australia/Sydney:20260101T093000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "2026-03-20T00:00:00+00:00", 4),
    ("DTSTART;TZID=Europe/Berlin:20260101T000000\nRRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=2WE,4WE;BYHOUR=8,20;BYMINUTE=15", "2026-01-01T00:00:00+00:00", 6),
    ("DTSTART;TZID=America/New_York:20260301T023000\nRRULE:FREQ=DAILY", "2026-03-06T00:00:00+00:00", 4),
]

RRULE_DIFFERENCES = {
    ("DTSTART;TZID=America/New_York:20260301T023000\nRRULE:FREQ=DAILY", "2026-03-06T00:00:00+00:00"): (
        ["2026-03-06T02:30:00-05:00", "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
        "02:30 does not occur on 2026-03-08 in New York: Sluice fires at the jump (03:00 EDT), as for a fixed-time "
        "cron job; dateutil reads the skipped wall time with the new offset, 06:30 UTC, which is 01:30 EST, before the gap"),
}


def croniter_spelling(expression):
    """croniter writes the last Friday of the month `L5`; Sluice takes Quartz's `5L` (and `L5`)."""
    import re
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = re.sub(r"\b(\d)L\b", r"L\1", fields[4])
    return " ".join(fields)


def cron_case(expression, zone, after, count):
    from datetime import datetime
    from zoneinfo import ZoneInfo
    from croniter import croniter
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(after).astimezone(tz)
    it = croniter(croniter_spelling(expression), start)
    out = []
    for _ in range(count):
        fire = it.get_next(datetime)
        out.append(fire.astimezone(ZoneInfo("UTC")).astimezone(tz).isoformat())
    return out


def rrule_case(text, after, count):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo
    from dateutil.rrule import rrulestr
    rule = rrulestr(text)
    cursor = datetime.fromisoformat(after)
    import re
    match = re.search(r"TZID=([^:;]+)", text)
    zone = ZoneInfo(match.group(1)) if match else timezone.utc
    if rule._dtstart.tzinfo is None:
        cursor = cursor.replace(tzinfo=None)
    out = []
    for _ in range(count):
        fire = rule.after(cursor, inc=False)
        if fire is None:
            break
        cursor = fire
        aware = fire if fire.tzinfo else fire.replace(tzinfo=timezone.utc)
        out.append(aware.astimezone(timezone.utc).astimezone(zone).isoformat())
    return out


def main():
    ensure_venv()
    import croniter
    import dateutil
    cases = []
    for expression, zone, after, count in CRON:
        case = {"kind": "cron", "expression": expression, "zone": zone, "after": after,
                "reference": cron_case(expression, zone, after, count)}
        key = (expression, zone, after)
        if key in CRON_DIFFERENCES:
            case["sluice"], case["why"] = CRON_DIFFERENCES[key]
        cases.append(case)
    for text, after, count in RRULE:
        case = {"kind": "rrule", "expression": text, "after": after, "reference": rrule_case(text, after, count)}
        key = (text, after)
        if key in RRULE_DIFFERENCES:
            case["sluice"], case["why"] = RRULE_DIFFERENCES[key]
        cases.append(case)
    document = {"generated_by": "scripts/cron-reference.py",
                "reference": f"croniter {croniter.__version__ if hasattr(croniter, '__version__') else '7.0.0'}, python-dateutil {dateutil.__version__}",
                "cases": cases}
    with open(FIXTURE, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {os.path.relpath(FIXTURE)}")


if __name__ == "__main__":
    main()
