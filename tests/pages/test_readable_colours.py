"""The checked palette (portal_app.look) and the page language (portal_app.page_language)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_app.look import PALETTE, contrast, readable_accent
from portal_app.page_language import language_of

WHITE = "#ffffff"


def test_contrast_is_wcags_ratio() -> None:
    assert round(contrast("#000000", WHITE), 2) == 21.0
    assert round(contrast("#767676", WHITE), 2) == 4.54  # the lightest grey that passes AA on white
    assert contrast(WHITE, WHITE) == 1.0


def test_every_colour_of_the_palette_reads_with_white_both_ways() -> None:
    assert all(contrast(colour, WHITE) >= 4.5 for colour in PALETTE.values())


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_any_accent_becomes_one_white_text_reads_on_and_that_reads_on_white(accent: str) -> None:
    shown = readable_accent(accent)
    assert contrast(shown, WHITE) >= 4.5
    if contrast(accent, WHITE) >= 4.5:
        assert shown == accent  # a dark enough accent is the organization's own, untouched


def test_a_light_accent_keeps_its_hue_when_darkened() -> None:
    shown = readable_accent("#fbbf24")  # amber
    red, green, blue = (int(shown[i : i + 2], 16) for i in (1, 3, 5))
    assert red > green > blue and contrast(shown, WHITE) < 5  # darkened only as far as needed


@pytest.mark.parametrize(
    ("locale", "language"),
    [("en_US", "en-US"), ("en_GB", "en-GB"), ("de_DE", "en-US"), ("fr_CA", "en-US"), ("en_ZZ", "en-US")],
)
def test_the_page_language_is_english_in_the_locales_variant(locale: str, language: str) -> None:
    assert language_of(locale) == language
