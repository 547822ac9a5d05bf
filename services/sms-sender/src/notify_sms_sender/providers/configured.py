"""The SMS providers and status lookups that the settings configure."""

from __future__ import annotations

import boto3
from botocore.config import Config

from notify_common.http_client import HttpClient
from notify_common.send_recovery import HandoverLookup
from notify_sms_sender.balancer import parse_weights
from notify_sms_sender.providers import SmsProvider
from notify_sms_sender.providers.firetext import FiretextProvider
from notify_sms_sender.providers.mmg import MmgProvider
from notify_sms_sender.providers.sns import SnsProvider
from notify_sms_sender.providers.status import SimulatorStatusLookup
from notify_sms_sender.settings import SmsSenderSettings


def build_providers(settings: SmsSenderSettings, client: HttpClient) -> dict[str, SmsProvider]:
    available: dict[str, SmsProvider] = {}
    names = parse_weights(settings.sms_provider_weights)
    if "mmg" in names:
        available["mmg"] = MmgProvider(
            client,
            settings.mmg_endpoint(),
            settings.mmg_username,
            settings.mmg_password.get_secret_value(),
            settings.mmg_receipt_endpoint(),
        )
    if "firetext" in names:
        available["firetext"] = FiretextProvider(
            client,
            settings.firetext_endpoint(),
            settings.firetext_api_key.get_secret_value(),
            settings.firetext_international_api_key.get_secret_value(),
            settings.firetext_receipt_endpoint(),
        )
    if "sns" in names:
        sns = boto3.client(
            "sns",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            config=Config(
                max_pool_connections=32,
                connect_timeout=5,
                read_timeout=settings.provider_timeout_seconds,
                retries={"max_attempts": 1},
            ),
        )
        available["sns"] = SnsProvider(sns)
    unknown = set(names) - set(available)
    if unknown:
        raise ValueError(f"unknown SMS providers in NOTIFY_SMS_PROVIDER_WEIGHTS: {sorted(unknown)}")
    return available


def build_lookups(settings: SmsSenderSettings, client: HttpClient) -> dict[str, HandoverLookup]:
    """Status lookups for the providers that have one: the simulator's, when it plays them."""
    lookups: dict[str, HandoverLookup] = {}
    if settings.mmg_url is None:
        lookups["mmg"] = SimulatorStatusLookup(client, f"{settings.simulator_url}/mmg/status")
    if settings.firetext_url is None:
        lookups["firetext"] = SimulatorStatusLookup(client, f"{settings.simulator_url}/firetext/status")
    return lookups
