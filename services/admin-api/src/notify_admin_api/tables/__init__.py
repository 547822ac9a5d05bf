"""The admin-api's tables, as SQLAlchemy Core, split by area (one module each): the configuration
of services (``configuration``, ``service_settings``), the console's accounts and their security
keys (``console``, ``webauthn``), template folders (``folders``), requests to go live
(``go_live``), the legacy APIs' switches and tokens (``legacy``), brandings (``brandings``),
organisations (``organisation_records``), unsubscribe request reports (``unsubscribe``), a
service's history and annual limits (``audit``), contact lists and report requests
(``lists_and_reports``).

The admin-api alone writes and reads them; other services read what they need of them through
the read contracts of ``notify_common.db.contracts``. They share this package's ``metadata``, which
resolves their foreign keys to each other (every one points at another admin-api table). The
migrations that create them are written by hand (docs/architecture.md, "Tables and migrations").
"""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
