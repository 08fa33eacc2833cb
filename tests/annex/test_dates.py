"""How the annex dates are read: every form the seed uses, and the rules behind them."""

import datetime as dt

import pytest

from mejora.annex.dates import read_date, read_leading_date, spanish_month_year
from mejora.annex.document import PartialDate, Precision


def day(year: int, month: int, day_: int) -> tuple[str, Precision]:
    return dt.date(year, month, day_).isoformat(), Precision.DAY


def month(year: int, month_: int) -> tuple[str, Precision]:
    return f"{year:04d}-{month_:02d}", Precision.MONTH


def year(year_: int) -> tuple[str, Precision]:
    return f"{year_:04d}", Precision.YEAR


UNAMBIGUOUS = [
    pytest.param("Diciembre, 2022", month(2022, 12), id="month-comma-year-as-filings-write-it"),
    pytest.param("31 de diciembre, 2023", day(2023, 12, 31), id="day-month-comma-year"),
    pytest.param("31/12/2008", day(2008, 12, 31), id="day-month-year-when-the-day-is-over-12"),
    pytest.param("30/01/2009", day(2009, 1, 30), id="day-month-year-with-a-leading-zero"),
    pytest.param("14/02/2011", day(2011, 2, 14), id="day-month-year-in-february"),
    pytest.param("3/31/11", day(2011, 3, 31), id="month-day-year-with-a-two-digit-year"),
    pytest.param("03/31/11", day(2011, 3, 31), id="month-day-year-with-a-leading-zero"),
    pytest.param("9/17/09", day(2009, 9, 17), id="month-day-year-in-september"),
    pytest.param("12/31/12", day(2012, 12, 31), id="month-day-year-on-new-years-eve"),
    pytest.param("12/31/10", day(2010, 12, 31), id="month-day-year-in-2010"),
    pytest.param("06/06/2010", day(2010, 6, 6), id="same-day-and-month-is-not-ambiguous"),
    pytest.param("11/11/2011", day(2011, 11, 11), id="eleven-eleven-is-not-ambiguous"),
    pytest.param("17/Sept/2009", day(2009, 9, 17), id="day-with-abbreviated-month-name"),
    pytest.param("30 de junio de 2009", day(2009, 6, 30), id="day-de-month-de-year"),
    pytest.param("30 de junio del 2009", day(2009, 6, 30), id="day-de-month-del-year"),
    pytest.param("1 jun 2009", day(2009, 6, 1), id="day-and-short-month-name"),
    pytest.param("30-jun-12", day(2012, 6, 30), id="excel-day-month-name-two-digit-year"),
    pytest.param("30/jun/12", day(2012, 6, 30), id="day-month-name-two-digit-year-slashes"),
    pytest.param("30 jun 12", day(2012, 6, 30), id="day-month-name-two-digit-year-spaces"),
    pytest.param("1-Ene-09", day(2009, 1, 1), id="two-digit-year-in-january"),
    pytest.param("17/Sept./09", day(2009, 9, 17), id="two-digit-year-after-abbreviation"),
    pytest.param("2009-06-30", day(2009, 6, 30), id="iso"),
    pytest.param("Enero de 2009", month(2009, 1), id="capitalised-month-de-year"),
    pytest.param("enero de 2009", month(2009, 1), id="lower-case-month-de-year"),
    pytest.param("ÉNERO 2009", month(2009, 1), id="upper-case-with-a-stray-accent"),
    pytest.param("octubre 2009", month(2009, 10), id="month-and-year-without-de"),
    pytest.param("Agosto de 2009", month(2009, 8), id="august"),
    pytest.param("Diciembre de 2009", month(2009, 12), id="december"),
    pytest.param("marzo de 2012", month(2012, 3), id="the-preparation-date"),
    pytest.param("Sept 2009", month(2009, 9), id="abbreviated-month-and-year"),
    pytest.param("sept. 2009", month(2009, 9), id="abbreviated-month-with-a-period"),
    pytest.param("junio-2009", month(2009, 6), id="month-hyphen-year"),
    pytest.param("jun-12", month(2012, 6), id="excel-month-name-two-digit-year"),
    pytest.param("Jun/12", month(2012, 6), id="month-name-slash-two-digit-year"),
    pytest.param("2009", year(2009), id="year-alone"),
    pytest.param("  Enero de 2009 ", month(2009, 1), id="surrounding-spaces-ignored"),
    pytest.param("31/12/2008.", day(2008, 12, 31), id="a-final-period-is-not-part-of-it"),
    pytest.param("Enero de 2009.", month(2009, 1), id="a-final-period-after-a-month"),
]


@pytest.mark.parametrize(("text", "expected"), UNAMBIGUOUS)
def test_it_reads_each_date_form_of_the_seed_without_doubt(text, expected):
    reading = read_date(text)

    assert reading.date is not None
    assert (reading.date.iso(), reading.date.precision) == expected
    assert reading.doubt == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Enero de 2009", "Enero de 2009", id="as-written"),
        pytest.param("  17/Sept/2009  ", "17/Sept/2009", id="without-surrounding-spaces"),
        pytest.param("Agosto  de 2009", "Agosto  de 2009", id="inner-spacing-kept"),
    ],
)
def test_it_keeps_the_text_the_date_was_read_from(text, expected):
    assert read_date(text).date.text == expected


@pytest.mark.parametrize(
    ("text", "expected_iso", "expected_reading", "other_reading"),
    [
        pytest.param("01/06/2010", "2010-06-01", "1 de junio", "6 de enero", id="due-of-the-seed"),
        pytest.param(
            "06/12/2011", "2011-12-06", "6 de diciembre", "12 de junio", id="conclusion-of-the-seed"
        ),
        pytest.param("5/4/2010", "2010-04-05", "5 de abril", "4 de mayo", id="without-zeros"),
    ],
)
def test_it_reads_an_ambiguous_date_day_first_and_says_so_in_spanish(
    text, expected_iso, expected_reading, other_reading
):
    reading = read_date(text)

    assert reading.date.iso() == expected_iso
    assert reading.date.precision is Precision.DAY
    assert text in reading.doubt
    assert expected_reading in reading.doubt
    assert other_reading in reading.doubt
    assert "día/mes" in reading.doubt


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("31/02/2010", id="february-31"),
        pytest.param("13/13/2010", id="month-13-either-way"),
        pytest.param("32/01/2010", id="day-32"),
        pytest.param("2009-13-01", id="iso-month-13"),
        pytest.param("2009-02-30", id="iso-february-30"),
        pytest.param("29/02/2010", id="february-29-of-a-common-year"),
        pytest.param("", id="empty"),
        pytest.param("pendiente", id="a-word"),
        pytest.param("marzo", id="a-month-without-year"),
        pytest.param("12/2009", id="month-slash-year"),
        pytest.param("junio 12", id="month-and-day-without-year"),
        pytest.param("31-feb-12", id="february-31-with-a-two-digit-year"),
        pytest.param("30-jun-123", id="three-digit-year"),
        pytest.param("Enero 2009 y algo más", id="a-date-followed-by-text"),
        pytest.param("En proceso de revisión", id="a-sentence"),
        pytest.param("100%", id="a-percent"),
    ],
)
def test_it_reads_no_date_from_impossible_dates_or_other_text(text):
    reading = read_date(text)

    assert reading.date is None
    assert reading.doubt == ""


def test_it_reads_february_29_of_a_leap_year():
    assert read_date("29/02/2012").date.iso() == "2012-02-29"


@pytest.mark.parametrize(
    ("text", "expected_iso", "expected_text"),
    [
        pytest.param(
            "Agosto de 2009 se concluyó con la modalidad de Red de mentores",
            "2009-08",
            "Agosto de 2009",
            id="month-then-a-sentence",
        ),
        pytest.param(
            "06/12/2011 Replanteamiento: No Nota: El producto",
            "2011-12-06",
            "06/12/2011",
            id="day-then-more-labels",
        ),
        pytest.param("17/Sept/2009, según oficio", "2009-09-17", "17/Sept/2009", id="then-comma"),
        pytest.param("Enero de 2009. Se concluyó", "2009-01", "Enero de 2009", id="then-period"),
    ],
)
def test_it_reads_a_leading_date_and_keeps_only_its_own_text(text, expected_iso, expected_text):
    reading = read_leading_date(text)

    assert reading.date.iso() == expected_iso
    assert reading.date.text == expected_text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Se concluyó en agosto de 2009", id="the-date-is-not-at-the-start"),
        pytest.param("2009abc", id="digits-glued-to-letters"),
        pytest.param("30 de junio 12 acciones", id="prose-is-no-two-digit-year"),
        pytest.param("", id="empty"),
    ],
)
def test_it_reads_no_leading_date_when_the_text_does_not_start_with_one(text):
    assert read_leading_date(text).date is None


@pytest.mark.parametrize(
    ("date", "expected_end"),
    [
        pytest.param(PartialDate(2009, 6, 30), dt.date(2009, 6, 30), id="day-is-itself"),
        pytest.param(PartialDate(2009, 1), dt.date(2009, 1, 31), id="january-ends-on-31"),
        pytest.param(PartialDate(2009, 4), dt.date(2009, 4, 30), id="april-ends-on-30"),
        pytest.param(PartialDate(2009, 2), dt.date(2009, 2, 28), id="february-of-a-common-year"),
        pytest.param(PartialDate(2012, 2), dt.date(2012, 2, 29), id="february-of-a-leap-year"),
        pytest.param(PartialDate(2009), dt.date(2009, 12, 31), id="year-ends-on-december-31"),
    ],
)
def test_a_partial_date_ends_on_the_last_day_of_its_period(date, expected_end):
    assert date.end == expected_end


@pytest.mark.parametrize(
    ("date", "expected_start"),
    [
        pytest.param(PartialDate(2009, 6, 30), dt.date(2009, 6, 30), id="day"),
        pytest.param(PartialDate(2009, 10), dt.date(2009, 10, 1), id="month"),
        pytest.param(PartialDate(2009), dt.date(2009, 1, 1), id="year"),
    ],
)
def test_a_partial_date_starts_on_the_first_day_of_its_period(date, expected_start):
    assert date.start == expected_start


@pytest.mark.parametrize(
    ("date", "expected_iso", "expected_precision"),
    [
        pytest.param(PartialDate(2009, 1, 30), "2009-01-30", Precision.DAY, id="day"),
        pytest.param(PartialDate(2009, 1), "2009-01", Precision.MONTH, id="month"),
        pytest.param(PartialDate(2009), "2009", Precision.YEAR, id="year"),
    ],
)
def test_a_partial_date_writes_iso_at_its_own_precision(date, expected_iso, expected_precision):
    assert date.iso() == expected_iso
    assert date.precision is expected_precision
    assert PartialDate.from_iso(expected_iso) == PartialDate(
        date.year, date.month, date.day, text=expected_iso
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"year": 2010, "month": 2, "day": 31}, "day", id="impossible-day"),
        pytest.param({"year": 2010, "month": 13}, "month", id="impossible-month"),
        pytest.param({"year": 2010, "day": 5}, "a day needs a month", id="day-without-month"),
    ],
)
def test_a_partial_date_refuses_impossible_dates(fields, message):
    with pytest.raises(ValueError, match=message):
        PartialDate(**fields)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        pytest.param(PartialDate(2012, 3), "marzo de 2012", id="month"),
        pytest.param(PartialDate(2009, 9, 17), "septiembre de 2009", id="day-drops-the-day"),
        pytest.param(PartialDate(2010, 1), "enero de 2010", id="january"),
        pytest.param(PartialDate(2010, 12), "diciembre de 2010", id="december"),
        pytest.param(PartialDate(2009), "2009", id="year"),
    ],
)
def test_it_writes_the_month_and_year_in_spanish(date, expected):
    assert spanish_month_year(date) == expected


@pytest.mark.parametrize(
    "date",
    [
        pytest.param(PartialDate(2012, 3), id="month"),
        pytest.param(PartialDate(2009), id="year"),
    ],
)
def test_the_spanish_month_and_year_read_back_as_the_same_date(date):
    assert read_date(spanish_month_year(date)).date.iso() == date.iso()
