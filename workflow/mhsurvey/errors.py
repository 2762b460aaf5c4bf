"""Exceptions that carry the location of a problem in an input file."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of all errors the pipeline raises on bad input or configuration."""


class ConfigError(PipelineError):
    """A configuration or codebook file is invalid."""


class OutputError(PipelineError):
    """Outputs cannot be written (disk full, no permission); nothing was changed."""


class InputDataError(PipelineError):
    """A structural problem in a raw export: names file, row, column and value.

    ``row`` is the 1-based data row of the export (the header is row 0; for CSV this is the
    line number minus one). Any of the location fields may be ``None`` when it does not apply
    (e.g. an unreadable file has no row). ``sheet`` names the worksheet of an Excel workbook.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        row: int | None = None,
        column: str | None = None,
        value: object | None = None,
        sheet: str | None = None,
    ) -> None:
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value
        self.reason = message
        parts = [f"file {file!s}"]
        if sheet is not None:
            parts.append(f"sheet {sheet!r}")
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            shown = value
            if isinstance(value, str) and len(value) > 80:  # a swallowed field can be megabytes long
                shown = value[:60] + f"... ({len(value):,} characters)"
            parts.append(f"value {shown!r}")
        super().__init__(f"{message} ({', '.join(parts)})")
