"""How amounts, numbers and dates read, per the organization's locale and time zone (Babel, CLDR data).

One `Formats` per organization: staff pages, the portal, the public page, the PDF and the mails all write money
and dates through it, so "$9,145.00" on the page is "$9,145.00" in the mail, and a German agency's clients read
"9.145,00 €" and "29.11.2026" everywhere. The module-level functions are the default locale's, for text that
has no organization (logs, the CLI).
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError, dates, numbers, units

from services.core import money
from services.core.errors import Invalid

DEFAULT_LOCALE = "en_US"
DEFAULT_TIMEZONE = "UTC"

# The locales offered in Settings (any CLDR locale is accepted through the API and stored as given).
OFFERED_LOCALES = [
    "en_US",
    "en_GB",
    "en_AU",
    "en_CA",
    "en_IE",
    "en_IN",
    "en_NZ",
    "en_ZA",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_BE",
    "fr_CA",
    "fr_CH",
    "es_ES",
    "es_MX",
    "it_IT",
    "nl_NL",
    "nl_BE",
    "pt_PT",
    "pt_BR",
    "sv_SE",
    "da_DK",
    "nb_NO",
    "fi_FI",
    "pl_PL",
    "cs_CZ",
    "hu_HU",
    "ro_RO",
    "el_GR",
    "tr_TR",
    "ja_JP",
    "zh_CN",
    "ko_KR",
]


_LOCALE_SHAPE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8}){0,3}")


def validate_locale(value: str, field: str = "locale") -> str:
    """A locale Babel knows, written the canonical way ("de-de" → "de_DE")."""
    text = (value or "").strip().replace("-", "_")
    try:
        if not _LOCALE_SHAPE.fullmatch(text):  # Babel reads "en_US; anything" as "en": only the code itself will do
            raise ValueError(text)
        return str(Locale.parse(text))
    except (UnknownLocaleError, ValueError, TypeError):
        raise Invalid(f"“{value}” is not a locale Portico knows (for example en_US, en_GB or de_DE).", field) from None


def validate_timezone(value: str, field: str = "timezone") -> str:
    text = (value or "").strip()
    if text not in _timezones():
        raise Invalid(f"“{value}” is not a time zone (for example Europe/Berlin or America/New_York).", field)
    return text


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def timezone_names() -> list[str]:
    """Every IANA time zone, sorted, for the Settings picker."""
    return sorted(_timezones())


def locale_name(code: str) -> str:
    """How a locale calls itself, for the Settings picker: "Deutsch (Deutschland)"."""
    return Locale.parse(code).get_display_name() or code


_LETTER_BESIDE_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


@functools.cache
def _currency_pattern(code: str, places: int) -> numbers.NumberPattern:
    """The locale's currency pattern with exactly `places` decimals: ISO 4217's minor unit, which for a few
    currencies (HUF, COP, IQD…) differs from the digits CLDR suggests for cash."""
    pattern = copy.copy(_locale(code).currency_formats["standard"])
    pattern.frac_prec = (places, places)
    return pattern


def _babel_money(locale: str, minor: int, currency: str, places: int) -> str:
    text = _currency_pattern(locale, places).apply(
        money.from_minor(minor, currency), _locale(locale), currency=currency, currency_digits=False
    )
    # CLDR's currency spacing, which Babel leaves out: a symbol made of letters is kept off the digits by a
    # no-break space ("KWD 25.000", "CHF 9,145.00"), while "$", "€" and "¥" stay close.
    return _LETTER_BESIDE_DIGIT.sub("\xa0", text)


@dataclass(frozen=True, slots=True)
class _MoneyShape:
    """What Babel writes around the digits for one locale and currency, learnt once: a reminder sweep formats
    tens of thousands of amounts, and Babel's general `apply` costs ten times Python's own grouping."""

    prefix: str
    suffix: str
    negative_prefix: str
    negative_suffix: str
    separators: dict[int, str]  # Python's "," and "." as the locale writes them

    def write(self, minor: int, places: int) -> str:
        digits = f"{abs(minor) // 10**places:,}"
        if places:
            digits += "." + str(abs(minor) % 10**places).zfill(places)
        body = digits.translate(self.separators)
        if minor < 0:
            return f"{self.negative_prefix}{body}{self.negative_suffix}"
        return f"{self.prefix}{body}{self.suffix}"


_PROBE = 1234567  # whole units: grouped twice, so the probe shows the group separator


@functools.cache
def _money_shape(locale: str, currency: str, places: int) -> _MoneyShape | None:
    """The locale's shape for `currency`, or None when its digits are not grouped in threes (en_IN's lakhs) or the
    shape cannot be read back: those amounts go through Babel itself."""
    pattern = _currency_pattern(locale, places)
    if pattern.grouping != (3, 3):
        return None
    symbols = _locale(locale).number_symbols["latn"]
    group, decimal = symbols["group"], symbols["decimal"]
    separators = {ord(","): group, ord("."): decimal}
    body = f"{_PROBE:,}" + ("." + "0" * places if places else "")
    body = body.translate(separators)
    minor = _PROBE * 10**places
    positive, negative = (_babel_money(locale, m, currency, places) for m in (minor, -minor))
    if positive.count(body) != 1 or negative.count(body) != 1:
        return None
    before, after = positive.split(body)
    negative_before, negative_after = negative.split(body)
    return _MoneyShape(before, after, negative_before, negative_after, separators)


@functools.cache
def _input_pattern(code: str) -> str:
    """The locale's numeric date with two-digit day and month and a four-digit year: "MM/dd/yyyy", "dd.MM.yyyy"."""
    locale = _locale(code)
    skeleton = dates.match_skeleton("yMd", locale.datetime_skeletons) or "yMd"
    pattern = str(locale.datetime_skeletons[skeleton].pattern if skeleton in locale.datetime_skeletons else "y-MM-dd")
    pattern = re.sub(r"y+", "yyyy", pattern)
    pattern = re.sub(r"M+", "MM", pattern)
    return re.sub(r"d+", "dd", pattern)


@dataclass(frozen=True, slots=True)
class Formats:
    """Money, numbers, days and moments as one organization writes them."""

    locale: str = DEFAULT_LOCALE
    timezone: str = DEFAULT_TIMEZONE

    def money(self, minor: int, currency: str) -> str:
        """ "$9,145.00", "9.145,00 €", "¥1,200", "-$5,000.00": the currency's symbol, separators, its decimals."""
        places = money.exponent(currency)
        shape = _money_shape(self.locale, currency, places)
        if shape is None:
            return _babel_money(self.locale, minor, currency, places)
        return shape.write(minor, places)

    def number(self, value: Decimal) -> str:
        """A quantity or a rate without trailing zeros: 2.5000 → "2.5" ("2,5" in German), 1234 → "1,234"."""
        return numbers.format_decimal(value.normalize(), locale=self.locale, decimal_quantization=False)

    def percent(self, value: Decimal) -> str:
        """A rate given in percent: "20%", "7.5%" in English, "7,5 %" in German (the locale's own spacing)."""
        return numbers.format_percent(value.normalize() / 100, locale=self.locale, decimal_quantization=False)

    def size(self, count: int) -> str:
        """A file's size in the locale's words: "512 B", "1.2 MB", "1,2 MB" (decimal units, as file managers show)."""
        value, unit = float(count), "byte"
        for bigger in ("kilobyte", "megabyte", "gigabyte"):
            if value < 1000:
                break
            value, unit = value / 1000, bigger
        shown = round(value, 1) if unit != "byte" and value < 100 else round(value)
        return units.format_unit(shown, f"digital-{unit}", length="short", locale=self.locale)

    def day(self, value: date) -> str:
        """One date format per locale: "Nov 29, 2026", "29 Nov 2026", "29.11.2026". A datetime is the day it is
        in the organization's time zone (a sign-in at 23:30 UTC is the next day in Berlin)."""
        if isinstance(value, datetime):
            value = self.local(value).date()
        return dates.format_date(value, "medium", locale=self.locale)

    def month(self, value: date) -> str:
        """A month as a chart axis or a period reads it: "Nov 2026"."""
        return dates.format_skeleton("yMMM", value, locale=self.locale)

    def moment(self, value: datetime) -> str:
        """A point in time in the organization's time zone: "Nov 29, 2026, 8:05 PM", "29.11.2026, 20:05"."""
        local = self.local(value)
        return f"{self.day(local.date())}, {dates.format_time(local, 'short', locale=self.locale)}"

    def local(self, value: datetime) -> datetime:
        """A stored moment (UTC; naive ones are UTC too) in the organization's time zone."""
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(self.zone)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def date_input(self) -> str:
        """How a typed date is written in this locale, as Babel spells it: "MM/dd/yyyy", "dd.MM.yyyy"."""
        return _input_pattern(self.locale)

    @property
    def date_mask(self) -> str:
        """The same pattern as a Quasar date mask ("MM/DD/YYYY") for date inputs and pickers."""
        return self.date_input.replace("dd", "DD").replace("yyyy", "YYYY")

    def input_day(self, value: date | None) -> str:
        """A date as a date input shows it."""
        return dates.format_date(value, self.date_input, locale=self.locale) if value else ""

    def read_day(self, text: str | None, field: str = "date", label: str = "Date") -> date | None:
        """A typed date in this locale's pattern (or ISO 8601); None when empty; bad input says what is expected."""
        value = (text or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        parts = re.findall(r"\d+", value)
        order = [p[0] for p in re.findall(r"(d+|M+|y+)", self.date_input)]
        if len(parts) == 3 and len(order) == 3 and re.fullmatch(r"\d+\D\d+\D\d+", value):
            found = dict(zip(order, (int(p) for p in parts), strict=True))
            try:
                if found["y"] >= 1000:
                    return date(found["y"], found["M"], found["d"])
            except ValueError:
                pass
        example = self.input_day(date(2026, 12, 31))
        raise Invalid(f"{label} must be a date like {example}.", field)


DEFAULT = Formats()


def amount(minor: int, currency: str) -> str:
    return DEFAULT.money(minor, currency)


def number(value: Decimal) -> str:
    return DEFAULT.number(value)


def day(value: date) -> str:
    return DEFAULT.day(value)


def currency_name(code: str, locale: str = DEFAULT_LOCALE) -> str:
    """A currency's name in `locale` ("Euro", "US-Dollar"); the code itself when CLDR has none."""
    return numbers.get_currency_name(code, locale=locale) or code
