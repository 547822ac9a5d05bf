#!/usr/bin/env bash
# `make up`: installs what is missing, starts the backing services and the platform, creates the
# demo service and prints how to send a first message. NOTIFY_LOCAL_SKIP_INSTALL=1 skips the
# install step (for a second platform started from a checkout that is installed already).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS
[[ "${NOTIFY_LOCAL_SKIP_INSTALL:-0}" == 1 ]] || "$ROOT/deploy/local/install.sh"
"$ROOT/deploy/local/infra.sh" start
"$ROOT/deploy/local/services.sh" start
source "$ROOT/deploy/local/env.sh"
step "demo service"
"$ROOT/.venv/bin/notify-admin" demo --env-file "$STATE/demo.env" | sed 's/^/    /'
source "$STATE/demo.env"
cat <<MSG

$(printf '\033[1;32m')The platform is running$(printf '\033[0m') (ready in $((SECONDS - started))s). Logs: $LOGS   Stop it: make down
Provider simulator (see your messages arrive): $NOTIFY_SIMULATOR_URL/

Send a first text message with curl (a Notify-style JWT is made from the API key):

  source .local/demo.env
  TOKEN=\$(.venv/bin/python -c 'import os,time,jwt; k=os.environ["NOTIFY_API_KEY_LIVE"]; print(jwt.encode({"iss": k[-73:-37], "iat": int(time.time())}, k[-36:], algorithm="HS256"))')
  curl -sS -X POST "\$NOTIFY_API_URL/v2/notifications/sms" -H "Authorization: Bearer \$TOKEN" \\
       -H 'Content-Type: application/json' \\
       -d "{\\"phone_number\\": \\"07700900123\\", \\"template_id\\": \\"\$NOTIFY_SMS_TEMPLATE_ID\\", \\"personalisation\\": {\\"name\\": \\"Ada\\"}}"
  curl -sS "\$NOTIFY_API_URL/v2/notifications/<id from above>" -H "Authorization: Bearer \$TOKEN"

Or with GOV.UK Notify's official Python client (installed in .venv):

  source .local/demo.env
  .venv/bin/python - <<'PY'
import os
from notifications_python_client.notifications import NotificationsAPIClient
client = NotificationsAPIClient(os.environ["NOTIFY_API_KEY_LIVE"], base_url=os.environ["NOTIFY_API_URL"])
sent = client.send_sms_notification(phone_number="07700900123",
    template_id=os.environ["NOTIFY_SMS_TEMPLATE_ID"], personalisation={"name": "Ada"})
print(client.get_notification_by_id(sent["id"])["status"])
PY
MSG
