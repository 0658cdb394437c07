"""CSV cells a spreadsheet will not run as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel, LibreOffice and Google Sheets, so a model named
``=HYPERLINK("https://evil.example/","Aurelon")`` in a downloaded CSV would be
a live link, or worse (OWASP "CSV Injection"). Such a text cell is written with
a leading single quote, which the spreadsheet shows as text. Numbers are left
as they are, as are texts that read as one ("-12.5"): a negative score stays a
number.
"""

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell(value):
    """``value`` as a CSV cell that no spreadsheet evaluates."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def row(values) -> list:
    return [cell(v) for v in values]


def dict_row(values: dict) -> dict:
    return {key: cell(v) for key, v in values.items()}
