"""The email branding types, as GOV.UK Notify names them (pure: no I/O, no tables), for whoever
renders or checks a branding without loading one (``notify_common.branding`` loads a service's).

``govuk`` (the GOV.UK banner alone, the default), ``both`` (the GOV.UK banner and the
organisation's logo), ``org`` (the organisation's logo alone), ``org_banner`` (the organisation's
logo and text on a banner of its colour); and ``none`` here for a service that chose no branding.
"""

from __future__ import annotations

GOVUK = "govuk"
NONE = "none"
EMAIL_BRAND_TYPES = ("govuk", "both", "org", "org_banner")
