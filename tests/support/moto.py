"""What moto, the local stand-in for AWS, holds: its dump of every model (``/moto-api/data.json``).

Reading the dump reads every S3 object's restore status, and moto moves a status it reads on to
"restored" at once, looking up the object's bucket as it does; the parts of a multipart upload have
no bucket, so after any multipart upload (large reports are uploaded that way) the dump fails with
a 500. Telling moto's state manager to move that status only when asked keeps the dump readable;
nothing here restores archived objects.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import env

_STILL_RESTORES = {"model_name": "s3::keyrestore", "transition": {"progression": "manual", "times": 1}}


def moto_data(timeout: float = 30.0) -> dict[str, Any]:
    """moto's dump of every model, by service and model name."""
    httpx.post(
        f"{env.MOTO_URL}/moto-api/state-manager/set-transition", json=_STILL_RESTORES, timeout=timeout
    ).raise_for_status()
    answer = httpx.get(f"{env.MOTO_URL}/moto-api/data.json", timeout=timeout)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data
