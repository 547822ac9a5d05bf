"""Settings of the projector (environment, prefix NOTIFY_)."""

from __future__ import annotations

from notify_common.settings import CommonSettings


class ProjectorSettings(CommonSettings):
    http_port: int = 6024
