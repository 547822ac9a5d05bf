"""The sender framework shared by the sms, email and letter senders: one loop (``Sender``: claim,
act, settle, publish or retry) and a policy per channel (``ChannelPolicy``: what the provider
call is, which failures are permanent, which events announce a hand-over). The claims, their
recovery and the retries it drives are ``send_claims``, ``send_recovery`` and ``send_retries``.
"""

from notify_common.sending.policy import ChannelPolicy, Handover, RecoveryMode
from notify_common.sending.sender import Outcome, Sender

__all__ = ["ChannelPolicy", "Handover", "Outcome", "RecoveryMode", "Sender"]
