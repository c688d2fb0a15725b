"""Pointing the service layer at what the settings name: database, mail, files, Stripe, single sign-on.

Apart from the app factory so that the command-line tools (`run-job`, `worker`, `rotate-file-keys`...) configure
the services without importing the web app: importing NiceGUI and the pages cost each such command 1.6 s (its
imports took 3.0 s, now 1.4 s, by `python -X importtime`)."""

from __future__ import annotations

from portal_app.settings import Settings
from services.adapters import mail_transport, oidc, storage, stripe_gateway
from services.core import config, db, shared_state


def configure_services(settings: Settings) -> None:
    """Point the service layer at the configured database, shared state, file store, mail, Stripe and OIDC."""
    db.configure(settings.resolved_database_url)
    config.configure(
        config.ServiceConfig(
            base_url=settings.base_url,
            secret_key=settings.resolved_secret_key,
            previous_secret_keys=settings.previous_secret_key_list,
            default_timezone=settings.timezone,
            redis_url=settings.redis_url,
        )
    )
    shared_state.configure(settings.redis_url)  # rate limits and sign-in tickets, shared by every process
    # Files' bytes: a directory by default, or an S3 bucket (checked now: a bad URL stops the start with its reason).
    storage.configure(
        storage.from_url(
            settings.storage_url,
            var_dir=settings.var_dir,
            endpoint_url=settings.s3_endpoint_url,
            server_side_encryption=settings.s3_sse,
            kms_key_id=settings.s3_sse_kms_key_id,
        )
    )
    mail_transport.configure(
        mail_transport.MailConfig(
            smtp_url=settings.smtp_url, mail_from=settings.mail_from, outbox_dir=settings.outbox_dir
        )
    )
    stripe_gateway.configure(
        stripe_gateway.StripeConfig(
            secret_key=settings.stripe_secret_key,
            webhook_secret=settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base,
            connect_webhook_secret=settings.stripe_connect_webhook_secret,
            direct=settings.stripe_direct,
        )
    )
    oidc.configure(
        oidc.OidcConfig(
            issuer=settings.oidc_issuer, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret
        )
    )
