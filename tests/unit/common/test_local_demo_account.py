"""The demo admin ``make up`` makes (deploy/local/services.sh) signs in with a text message code, so
its mobile number must be one the platform really sends to the provider simulator: not a smoke-test
number, which the API accepts without sending anything."""

from __future__ import annotations

import re

from notify_common.recipients import is_simulated_recipient, normalise_phone_number
from tests.support import env

SERVICES_SH = env.ROOT / "deploy" / "local" / "services.sh"


def demo_admin_mobile() -> str:
    script = SERVICES_SH.read_text()
    create = re.search(r"create-user .*?--mobile (\S+)", script, re.S)
    assert create is not None, "services.sh no longer makes the demo admin with --mobile"
    given = create.group(1).strip('"')
    if given.startswith("$"):
        assigned = re.search(rf"^\s*{re.escape(given.lstrip('$'))}=(\S+)$", script, re.M)
        assert assigned is not None, f"services.sh never sets {given}"
        given = assigned.group(1)
    return given


def test_the_demo_admins_sign_in_codes_are_really_sent() -> None:
    mobile = demo_admin_mobile()
    assert normalise_phone_number(mobile).startswith("447700900")  # Ofcom's drama range
    assert not is_simulated_recipient(mobile)
