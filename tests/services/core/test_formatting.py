"""Money, numbers, days and moments as each organization's locale and time zone write them (Babel, CLDR)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.core import formatting, money
from services.core.errors import Invalid
from services.core.formatting import Formats

NBSP, NNBSP = "\xa0", "\u202f"  # CLDR keeps a symbol on its amount, and French thousands together, with these
EVENING = datetime(2026, 11, 29, 19, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "minor", "currency", "expected"),
    [
        ("en_US", 914500, "USD", "$9,145.00"),
        ("en_US", 914500, "EUR", "€9,145.00"),
        ("en_US", 120000, "JPY", "¥120,000"),  # no minor unit
        ("en_US", 12500, "KWD", f"KWD{NBSP}12.500"),  # three decimals; a symbol of letters stands off the digits
        ("en_US", 12345, "HUF", f"HUF{NBSP}123.45"),  # ISO 4217's two decimals, not CLDR's cash digits
        ("en_US", -500000, "USD", "-$5,000.00"),
        ("en_GB", 914500, "GBP", "£9,145.00"),
        ("en_GB", 914500, "USD", "US$9,145.00"),
        ("de_DE", 914500, "EUR", f"9.145,00{NBSP}€"),
        ("de_DE", 120000, "JPY", f"120.000{NBSP}¥"),
        ("de_DE", 12500, "KWD", f"12,500{NBSP}KWD"),
        ("de_DE", 12345, "HUF", f"123,45{NBSP}HUF"),
        ("de_DE", -500000, "USD", f"-5.000,00{NBSP}$"),
        ("fr_FR", 914500, "EUR", f"9{NNBSP}145,00{NBSP}€"),
        ("fr_FR", 120000, "JPY", f"120{NNBSP}000{NBSP}JPY"),
        ("fr_FR", 12500, "KWD", f"12,500{NBSP}KWD"),
        ("ja_JP", 120000, "JPY", "￥120,000"),
        ("ja_JP", 914500, "USD", "$9,145.00"),
        ("ja_JP", 12500, "KWD", f"KWD{NBSP}12.500"),
    ],
)
def test_money_reads_with_the_locales_symbol_separators_and_the_currencys_decimals(
    locale: str, minor: int, currency: str, expected: str
) -> None:
    assert Formats(locale).money(minor, currency) == expected


@pytest.mark.parametrize("currency", sorted(money.EXPONENTS))
@pytest.mark.parametrize(("locale", "point"), [("en_US", "."), ("de_DE", ",")])
def test_every_iso_currency_has_exactly_its_exponents_decimals(locale: str, point: str, currency: str) -> None:
    places = money.exponent(currency)
    for minor in (123456789, -5, 0):
        text = Formats(locale).money(minor, currency)
        digits = re.search(r"\d[\d.,\s]*\d|\d", text)
        assert digits is not None, text
        number = digits.group()
        fraction = number.rpartition(point)[2] if places else ""
        assert len(fraction) == places, (currency, text)
        assert re.sub(r"\D", "", number).lstrip("0") == str(abs(minor)).lstrip("0"), (currency, text)
        assert text.startswith("-") == (minor < 0), text


@pytest.mark.parametrize(
    ("locale", "number", "percent"),
    [
        ("en_US", "1,234.5", "7.5%"),
        ("en_GB", "1,234.5", "7.5%"),
        ("de_DE", "1.234,5", "7,5\xa0%"),
        ("ja_JP", "1,234.5", "7.5%"),
    ],
)
def test_numbers_and_rates_drop_trailing_zeros_and_group_the_locales_way(
    locale: str, number: str, percent: str
) -> None:
    formats = Formats(locale)
    assert formats.number(Decimal("1234.5000")) == number
    assert formats.percent(Decimal("7.50")) == percent
    assert formats.number(Decimal("20.000")) == "20"


@pytest.mark.parametrize(
    ("locale", "day", "month"),
    [
        ("en_US", "Nov 29, 2026", "Nov 2026"),
        ("en_GB", "29 Nov 2026", "Nov 2026"),
        ("de_DE", "29.11.2026", "Nov. 2026"),
        ("fr_FR", "29 nov. 2026", "nov. 2026"),
        ("ja_JP", "2026/11/29", "2026年11月"),
    ],
)
def test_one_day_format_and_one_month_format_per_locale(locale: str, day: str, month: str) -> None:
    formats = Formats(locale)
    assert formats.day(date(2026, 11, 29)) == day
    assert formats.month(date(2026, 11, 1)) == month


@pytest.mark.parametrize(
    ("locale", "timezone", "expected"),
    [
        ("en_US", "America/New_York", f"Nov 29, 2026, 2:05{NNBSP}PM"),
        ("en_GB", "Europe/London", "29 Nov 2026, 19:05"),
        ("de_DE", "Europe/Berlin", "29.11.2026, 20:05"),
        ("fr_FR", "Europe/Paris", "29 nov. 2026, 20:05"),
        ("ja_JP", "Asia/Tokyo", "2026/11/30, 4:05"),  # already the next morning in Tokyo
    ],
)
def test_a_moment_reads_in_the_organizations_time_zone(locale: str, timezone: str, expected: str) -> None:
    assert Formats(locale, timezone).moment(EVENING) == expected


def test_a_stored_moment_without_a_zone_is_utc_and_its_day_is_the_local_one() -> None:
    naive = EVENING.replace(tzinfo=None)
    assert Formats("de_DE", "Europe/Berlin").moment(naive) == "29.11.2026, 20:05"
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert Formats("de_DE", "Europe/Berlin").day(late) == "30.11.2026"
    assert Formats("en_US", "America/Los_Angeles").day(late) == "Nov 29, 2026"


@pytest.mark.parametrize(
    ("locale", "pattern", "mask", "typed"),
    [
        ("en_US", "MM/dd/yyyy", "MM/DD/YYYY", "03/09/2026"),
        ("en_GB", "dd/MM/yyyy", "DD/MM/YYYY", "09/03/2026"),
        ("de_DE", "dd.MM.yyyy", "DD.MM.YYYY", "09.03.2026"),
        ("fr_FR", "dd/MM/yyyy", "DD/MM/YYYY", "09/03/2026"),
        ("ja_JP", "yyyy/MM/dd", "YYYY/MM/DD", "2026/03/09"),
    ],
)
def test_a_date_input_follows_the_locale_and_reads_back_what_it_shows(
    locale: str, pattern: str, mask: str, typed: str
) -> None:
    formats = Formats(locale)
    assert (formats.date_input, formats.date_mask) == (pattern, mask)
    assert formats.input_day(date(2026, 3, 9)) == typed
    assert formats.read_day(typed) == date(2026, 3, 9)
    for day in (date(2026, 1, 1), date(2026, 12, 31), date(2028, 2, 29)):
        assert formats.read_day(formats.input_day(day)) == day
    assert formats.read_day("2026-03-09") == date(2026, 3, 9)  # ISO, as links carry dates, is always understood
    assert formats.read_day("") is None and formats.read_day(None) is None and formats.input_day(None) == ""


@pytest.mark.parametrize(
    ("locale", "typed"),
    [
        ("en_US", "13/09/2026"),  # no 13th month
        ("en_US", "02/30/2026"),
        ("de_DE", "31.02.2026"),
        ("de_DE", "09.03.26"),  # a two-digit year is ambiguous
        ("de_DE", "tomorrow"),
        ("de_DE", "09.03"),
        ("ja_JP", "09/03/2026"),  # the order of another locale
    ],
)
def test_a_bad_date_is_refused_on_its_field_with_an_example(locale: str, typed: str) -> None:
    formats = Formats(locale)
    with pytest.raises(Invalid) as refused:
        formats.read_day(typed, "due_date", "Due date")
    example = formats.input_day(date(2026, 12, 31))
    assert refused.value.field == "due_date"
    assert refused.value.message == f"Due date must be a date like {example}."


def test_locales_and_time_zones_are_checked_and_written_the_canonical_way() -> None:
    assert formatting.validate_locale("de-de") == "de_DE"
    assert formatting.validate_timezone(" Europe/Berlin ") == "Europe/Berlin"
    for bad in ("xx_INVALID", "", "en_US; DROP TABLE"):
        with pytest.raises(Invalid) as refused:
            formatting.validate_locale(bad)
        assert refused.value.field == "locale"
    with pytest.raises(Invalid):
        formatting.validate_timezone("Mars/Olympus_Mons")
    assert "Europe/Berlin" in formatting.timezone_names() and "UTC" in formatting.timezone_names()
    assert formatting.locale_name("de_DE") == "Deutsch (Deutschland)"


def test_without_an_organization_the_default_is_en_us() -> None:
    assert formatting.amount(120050, "USD") == "$1,200.50"
    assert formatting.number(Decimal("2.50")) == "2.5"
    assert formatting.day(date(2026, 3, 10)) == "Mar 10, 2026"


@pytest.mark.parametrize("locale", [*formatting.OFFERED_LOCALES, "en_IN", "ar_EG", "de_CH", "es_CO"])
def test_the_fast_money_path_writes_exactly_what_babel_writes(locale: str) -> None:
    """Amounts are written from a shape learnt once per locale and currency; Babel itself is the reference
    (en_IN's lakh grouping goes through Babel)."""
    formats = Formats(locale)
    for currency, places in money.EXPONENTS.items():
        for minor in (0, 1, -1, 99, 100, 12345, -500000, 914500, 10**14 - 1, -(10**14 - 1)):
            assert formats.money(minor, currency) == formatting._babel_money(locale, minor, currency, places)
