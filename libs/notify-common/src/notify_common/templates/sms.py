"""Text message encoding: GSM 03.38 sanitising, UCS-2 detection, character and fragment counts.

As Notify does: characters outside GSM 03.38 and the Welsh diacritics are
downgraded — a few by a replacement table (dashes, curly quotes, invisible spaces), accented letters
to their base letter when that is allowed, anything else (emoji, CJK, Cyrillic) to ``?``. Welsh
diacritics outside GSM are kept, and make the message UCS-2 (70 characters, then 67 per fragment).
A GSM message is 160 characters, then 153 per fragment; ``^{}\\[~]|€`` count twice.
"""

from __future__ import annotations

import math
import re
import unicodedata

SMS_CHAR_LIMIT = 918  # 153 * 6: six concatenated GSM fragments

GSM_EXTENDED_CHARACTERS = frozenset("^{}\\[~]|€")
GSM_CHARACTERS = (
    frozenset(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    | GSM_EXTENDED_CHARACTERS
)
WELSH_DIACRITICS = frozenset(
    "àèìòùẁỳÀÈÌÒÙẀỲ"  # grave
    "áéíóúẃýÁÉÍÓÚẂÝ"  # acute
    "äëïöüẅÿÄËÏÖÜẄŸ"  # diaeresis
    "âêîôûŵŷÂÊÎÔÛŴŶ"  # circumflex
)
ALLOWED_CHARACTERS = GSM_CHARACTERS | WELSH_DIACRITICS

REPLACEMENT_CHARACTERS: dict[str, str] = {
    "‑": "-",  # non-breaking hyphen
    "–": "-",  # en dash
    "—": "-",  # em dash
    "−": "-",  # minus sign
    "…": "...",
    "‘": "'",
    "’": "'",
    "‚": "'",  # single low-9 quotation mark
    "“": '"',
    "”": '"',
    "„": '"',  # double low-9 quotation mark
    "\u180e": "",  # Mongolian vowel separator
    "\u200b": "",  # zero width space
    "\u200c": "",  # zero width non-joiner
    "\u200d": "",  # zero width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero width no-break space
    "\u2028": "",  # line separator
    "\u2029": "",  # paragraph separator
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\t": " ",
    "Ł": "L",
    "ł": "l",
}

GSM_SINGLE_FRAGMENT = 160
GSM_PER_FRAGMENT = 153
UCS2_SINGLE_FRAGMENT = 70
UCS2_PER_FRAGMENT = 67

_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.:;!?])")
_THREE_OR_MORE_NEWLINES = re.compile(r"\n{3,}")
# What ``normalise_sms_whitespace`` could change: whitespace other than a space or a newline, the
# pairs below (a space or newline followed by a space, a space before a newline or a punctuation
# mark, three newlines), or a space or newline at either end. Text without any of these is left as
# it is, so most messages are checked by a few substring searches in C instead of being split into
# lines and joined again.
_OTHER_WHITESPACE = re.compile(r"[^\S \n]")
_CHANGED_PAIRS = ("  ", "\n ", " \n", " ,", " .", " :", " ;", " !", " ?", "\n\n\n")
_ENDS = (" ", "\n")


def sanitise_sms(text: str) -> str:
    """Downgrade every character a phone could not show to one it can, or to ``?``."""
    # Most texts need nothing downgraded: one set check in C instead of a call per character.
    if ALLOWED_CHARACTERS.issuperset(text):
        return text
    return "".join(_downgrade(character) for character in text)


def _downgrade(character: str) -> str:
    if character in ALLOWED_CHARACTERS:
        return character
    if character in REPLACEMENT_CHARACTERS:
        return REPLACEMENT_CHARACTERS[character]
    decomposition = unicodedata.decomposition(character)
    # A canonical decomposition ("0061 0301" for á) starts with the base letter; compatibility
    # decompositions ("<compat> ...", "<super> ...") change meaning, so they are not used.
    if decomposition and not decomposition.startswith("<"):
        base = chr(int(decomposition.split()[0], 16))
        if base in ALLOWED_CHARACTERS:
            return base
    return "?"


def is_gsm(text: str) -> bool:
    """Whether every character is in GSM 03.38 (basic set or extension table)."""
    return GSM_CHARACTERS.issuperset(text)


def encoding_of(text: str) -> str:
    """``"GSM"`` or ``"UCS-2"``: how a (sanitised) message goes over the air."""
    return "GSM" if is_gsm(text) else "UCS-2"


def character_count(text: str) -> int:
    """Characters as the network counts them: GSM extension characters take two septets; UCS-2
    counts UTF-16 code units (so a character outside the Basic Multilingual Plane counts twice)."""
    if is_gsm(text):
        if GSM_EXTENDED_CHARACTERS.isdisjoint(text):
            return len(text)
        return len(text) + sum(map(text.count, GSM_EXTENDED_CHARACTERS))
    return len(text.encode("utf-16-le")) // 2


def fragment_count(text: str) -> int:
    """How many SMS parts (billable units) a message takes. Pass the sanitised text."""
    return sms_counts(text)[2]


def sms_counts(text: str) -> tuple[bool, int, int]:
    """Whether (sanitised) ``text`` is GSM, its ``character_count`` and its ``fragment_count``,
    looking at the text's characters once for all three."""
    if GSM_CHARACTERS.issuperset(text):
        count = len(text)
        if not GSM_EXTENDED_CHARACTERS.isdisjoint(text):
            count += sum(map(text.count, GSM_EXTENDED_CHARACTERS))
        return True, count, 1 if count <= GSM_SINGLE_FRAGMENT else math.ceil(count / GSM_PER_FRAGMENT)
    count = len(text.encode("utf-16-le")) // 2
    return False, count, 1 if count <= UCS2_SINGLE_FRAGMENT else math.ceil(count / UCS2_PER_FRAGMENT)


def could_normalise(text: str) -> bool:
    """Whether ``normalise_sms_whitespace`` might change ``text`` (False: it certainly does not)."""
    if text[:1] in _ENDS or text[-1:] in _ENDS or _OTHER_WHITESPACE.search(text) is not None:
        return True
    return any(pair in text for pair in _CHANGED_PAIRS)


def is_clean_sms(text: str) -> bool:
    """Whether ``normalise_sms_whitespace(sanitise_sms(text))`` is ``text`` as it is (False: it may
    not be)."""
    return ALLOWED_CHARACTERS.issuperset(text) and not could_normalise(text)


def normalise_sms_whitespace(text: str) -> str:
    """Collapse runs of spaces on each line, drop spaces before punctuation, allow at most one blank
    line in a row, and strip the ends."""
    if not could_normalise(text):
        return text
    without_space_before_punctuation = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    lines = [" ".join(line.split()) for line in without_space_before_punctuation.splitlines()]
    return _THREE_OR_MORE_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
