"""Money: integer minor units beside an ISO 4217 currency; Decimal for quantities and rates; half-up rounding.

No float anywhere. `to_minor` and `from_minor` convert between a decimal amount ("1200.50") and the
integer count of the currency's smallest unit (120050 cents; 1200 yen; 1200500 fils).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from services.core.errors import Invalid

# ISO 4217 currencies in circulation and their minor-unit exponents (funds codes included; metals,
# testing and special drawing codes, which have no minor unit, are not currencies one can invoice in).
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE "
    "CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL "
    "HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR "
    "MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK "
    "SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD "
    "XCG YER ZAR ZMW ZWG"
)
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}

MAX_MINOR = 10**15  # far above any invoice, far below the 64-bit column limit


def currency(code: str, field: str = "currency") -> str:
    """A known ISO 4217 code, upper-cased; anything else is bad input."""
    normalized = (code or "").strip().upper()
    if normalized not in EXPONENTS:
        raise Invalid(f"“{code}” is not an ISO 4217 currency code.", field)
    return normalized


def exponent(code: str) -> int:
    return EXPONENTS[currency(code)]


def round_half_up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# What a typed amount or quantity may look like, checked before any Decimal arithmetic: an exponent such as
# "1e700000" would make `int()` or `scaleb` work for seconds (or overflow), so only plain digits pass.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_NUMBER_TEXT = 40
MAX_INTEGER_DIGITS = 15  # MAX_MINOR in the largest unit
MAX_FRACTION_DIGITS = 12  # far more than any currency, quantity or rate uses


def decimal(value: object, field: str, label: str) -> Decimal:
    """A bounded, finite Decimal from user input: str, int or Decimal; never float, which cannot hold 0.1.

    At most 15 digits before the point and 12 after it, written out plainly ("12.50", "-3", ".5").
    """
    if isinstance(value, float):
        raise Invalid(f"{label} must be given as a decimal string, not a float.", field)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise Invalid(f"{label} must be a number like 12.50.", field)
    if isinstance(value, Decimal):
        return _bounded(value, field, label)
    if isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise Invalid(f"{label} is too large.", field)
        return Decimal(value)
    text = value.strip()
    if len(text) > MAX_NUMBER_TEXT or not _PLAIN_NUMBER.fullmatch(text):
        raise Invalid(f"{label} must be a number like 12.50.", field)
    whole, _, fraction = text.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise Invalid(f"{label} is too large.", field)
    if len(fraction) > MAX_FRACTION_DIGITS:
        raise Invalid(f"{label} has too many decimal places.", field)
    return Decimal(text)


def _bounded(value: Decimal, field: str, label: str) -> Decimal:
    """A Decimal handed in by code: the same bounds as typed text, checked without arithmetic."""
    if not value.is_finite():
        raise Invalid(f"{label} must be a number like 12.50.", field)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite Decimals have an integer exponent
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise Invalid(f"{label} is too large.", field)
    if exponent < -MAX_FRACTION_DIGITS and value != value.quantize(Decimal(1).scaleb(-MAX_FRACTION_DIGITS)):
        raise Invalid(f"{label} has too many decimal places.", field)
    return value


def to_minor(amount: object, code: str, field: str = "amount", label: str = "Amount") -> int:
    """“1200.50” USD → 120050. More decimals than the currency has is bad input, not silently rounded."""
    value = decimal(amount, field, label)
    places = exponent(code)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise Invalid(f"{label} has more than {places} decimal places for {code.upper()}.", field)
    minor = int(scaled)
    if abs(minor) >= MAX_MINOR:
        raise Invalid(f"{label} is too large.", field)
    return minor


def from_minor(minor: int, code: str) -> Decimal:
    """120050 USD → Decimal("1200.50"), with exactly the currency's number of places."""
    places = exponent(code)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def plain(value: Decimal) -> str:
    """A quantity or a rate as a form field holds it, and as `decimal` reads it back: 2.5000 → "2.5", 20.000 → "20";
    no grouping, no exponent (what pages show goes through `formatting`)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_decimal(minor: int, code: str) -> str:
    """The API's money string: “1200.50”, “1200” for JPY, “12.500” for KWD."""
    return str(from_minor(minor, code))
