"""The shapes of the public API's answers that several suites check: the keys of a notification as
GOV.UK Notify's v2 API returns it (GET /v2/notifications/{id})."""

from __future__ import annotations

NOTIFICATION_KEYS = {
    "id",
    "reference",
    "email_address",
    "phone_number",
    "line_1",
    "line_2",
    "line_3",
    "line_4",
    "line_5",
    "line_6",
    "postcode",
    "type",
    "status",
    "template",
    "body",
    "subject",
    "created_at",
    "created_by_name",
    "sent_at",
    "completed_at",
    "scheduled_for",
    "postage",
    "one_click_unsubscribe_url",
    "is_cost_data_ready",
    "cost_in_pounds",
    "cost_details",
    # Beyond Notify's shape (docs/languages.md): the template's language the notification was in.
    "language",
}
