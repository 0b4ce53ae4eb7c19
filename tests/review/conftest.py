import pytest

from tests.review.servers import SMTPSink, WebhookSink


@pytest.fixture()
def smtp():
    sink = SMTPSink()
    yield sink
    sink.stop()


@pytest.fixture()
def webhook():
    sink = WebhookSink()
    yield sink
    sink.stop()


@pytest.fixture()
def oncall(app, smtp, webhook):
    """On-call channels pointed at the real local servers."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, ONCALL_EMAILS=["oncall@example.org"],
                      ONCALL_WEBHOOK_URL=webhook.url)
    return smtp, webhook
