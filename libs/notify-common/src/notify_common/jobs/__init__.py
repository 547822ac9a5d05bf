"""CSV jobs (bulk sending): checking a recipients file, storing it, and turning its rows into
notifications.

* ``validation``: ``validate_csv`` checks a file before anything is sent (pure, streaming);
* ``rows``: ``RowRenderer`` turns a row into a requested event; ``notification_id_for``;
* ``csvfile``: the streaming reader both of those use;
* ``model``: ``SendingService``, ``JobTemplate``, ``CsvLimits``.
"""

from notify_common.jobs.csvfile import CsvFormatError, CsvRow, RecipientsCsv, heading_key
from notify_common.jobs.model import CsvLimits, JobTemplate, SendingService
from notify_common.jobs.rows import RowInvalid, RowRenderer, notification_id_for
from notify_common.jobs.validation import CsvReport, RowError, validate_csv

__all__ = [
    "CsvFormatError",
    "CsvLimits",
    "CsvReport",
    "CsvRow",
    "JobTemplate",
    "RecipientsCsv",
    "RowError",
    "RowInvalid",
    "RowRenderer",
    "SendingService",
    "heading_key",
    "notification_id_for",
    "validate_csv",
]
