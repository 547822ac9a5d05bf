"""Which service owns each table: the one service that writes it (inserts, updates, deletes, locks)
and reads it.

Ownership is stated once, where the table is: each service declares its tables in its own package
(``notify_<service>.tables``, a module or a package of modules), on a ``MetaData`` of its own, and
the service whose package declares a table owns it. This library declares none and imports no
service; ``tests/contract/ownership.py`` collects the owners from the services' declarations.

Every other service learns what it needs from events, or reads it through a read contract, a view
the owner publishes (``contracts``). All the tables share one PostgreSQL database and one Alembic
history; ownership is checked by ``tests/contract/test_table_ownership.py``, which reads every
service's code for writes and reads of a table it does not own, reads of a view by a service that
is not its reader, and imports of another service's package. docs/architecture.md lists the owners
with the topics each service produces and consumes, and says where a new table and its migration
go.
"""

from __future__ import annotations

ADMIN_API = "admin-api"
API_GATEWAY = "api-gateway"
CALLBACKS = "callbacks"
DOCUMENT_DOWNLOAD = "document-download"
JOB_SPLITTER = "job-splitter"
PROJECTOR = "projector"
RECEIPTS = "receipts"
SMS_SENDER = "sms-sender"
EMAIL_SENDER = "email-sender"
LETTER_SENDER = "letter-sender"

# Views over tables of several owners for people and tests (no service reads them; services read
# through ``contracts``); nobody writes a view.
VIEWS: dict[str, tuple[str, ...]] = {
    "send_claims": ("sms_send_claims", "email_send_claims", "letter_send_claims"),
}
