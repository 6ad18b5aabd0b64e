"""The public answer page behind the token: answering once, and misuse (altered, expired, reused, out-of-range,
hostile input) answered with a clear page in the customer's language, never a 500."""

import datetime as dt
import threading

import pytest
from django.core import signing
from django.db import connection
from django.utils import timezone

from kehu.customers.models import Activity
from kehu.service.models import SurveyInvitation, SurveyResponse, SurveyStatus
from kehu.service.surveys import services, tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(surveyed, settings, django_capture_on_commit_callbacks):
    """A CSAT invitation sent by e-mail; returns (invitation, token) with the token read from the message."""
    import re

    from django.core import mail

    settings.KEHU_TASK_QUEUE = "eager"
    with django_capture_on_commit_callbacks(execute=True):
        surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    token = re.search(r"/s/([^/\s]+)/\?lang=", mail.outbox[0].body).group(1)
    return SurveyInvitation.objects.get(), token


def test_the_customer_answers_once_and_the_answer_reaches_the_timeline(client, sent):
    invitation, token = sent
    page = client.get(f"/s/{token}/?lang=en")
    assert page.status_code == 200 and b"How did we do?" in page.content and page["Cache-Control"] == "no-store"
    assert b'name="csrfmiddlewaretoken"' in page.content and b'value="5"' in page.content
    assert b'value="6"' not in page.content  # CSAT is 1 to 5
    answer = client.post(f"/s/{token}/?lang=en", {"score": "4", "comment": "很快 =1+1"})
    assert answer.status_code == 200 and b"Thank you" in answer.content
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment, response.kind) == (4, "很快 =1+1", "csat")
    invitation.refresh_from_db()
    assert invitation.status == SurveyStatus.ANSWERED and invitation.answered_at is not None
    assert Activity.objects.filter(customer_id=invitation.customer_id, kind="survey").count() == 1
    again = client.post(f"/s/{token}/?lang=en", {"score": "1"})
    assert again.status_code == 410 and b"already been answered" in again.content
    assert SurveyResponse.objects.get().score == 4


def test_the_page_speaks_the_customers_language(client, sent):
    _invitation, token = sent
    assert "满意".encode() in client.get(f"/s/{token}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content
    assert b"How did we do?" in client.get(f"/s/{token}/", HTTP_ACCEPT_LANGUAGE="en").content
    assert b"How did we do?" in client.get(f"/s/{token}/?lang=en", HTTP_ACCEPT_LANGUAGE="zh-CN").content


def test_an_altered_token_is_404(client, sent):
    invitation, token = sent
    payload = signing.loads(token, salt=tokens.SALT)
    # a token for another id with the signature of the real one
    forged = signing.dumps({"i": payload["i"] + 1, "n": payload["n"]}, salt="another-salt")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (flipped, forged, "x", "a" * 400, token.replace(":", "", 1)):
        answer = client.post(f"/s/{bad}/?lang=en", {"score": "5"})
        assert answer.status_code == 404, bad
        assert b"not valid" in answer.content
    # signed correctly but with another nonce: the stored hash does not match
    other = signing.dumps({"i": invitation.pk, "n": "guessed-nonce"}, salt=tokens.SALT)
    assert client.get(f"/s/{other}/").status_code == 404
    assert SurveyResponse.objects.count() == 0


def test_an_expired_token_is_410_in_chinese_by_default(client, sent):
    invitation, token = sent
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    answer = client.post(f"/s/{token}/", {"score": "5"})
    assert answer.status_code == 410 and "已过期".encode() in answer.content
    assert SurveyResponse.objects.count() == 0


def test_scores_out_of_range_and_hostile_input_are_400(client, sent):
    _invitation, token = sent
    for score in ("0", "6", "-1", "99999999999999999999", "", "五", "²", "4\x00"):
        answer = client.post(f"/s/{token}/?lang=en", {"score": score, "comment": "x\x00y"})
        assert answer.status_code == 400, score
    assert SurveyResponse.objects.count() == 0
    assert client.put(f"/s/{token}/").status_code == 405


def test_the_public_page_is_rate_limited_per_address(client, sent, settings):
    settings.KEHU_SURVEY_RATE = "3/min"
    _invitation, token = sent
    codes = [client.get(f"/s/{token}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_service_single_use_is_atomic(sent):
    invitation, token = sent
    services.survey_answer(token=token, score=5)
    with pytest.raises(services.SurveyError) as error:
        services.survey_answer(token=token, score=3)
    assert error.value.code == "used"
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_answers_only_one_wins(surveyed, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    from kehu.service.surveys.services import invitations_send

    settings.KEHU_TASK_QUEUE = "database"
    surveyed["close"](surveyed["ticket"](surveyed["by_mail"]))
    invitation = SurveyInvitation.objects.get()
    token, token_hash = tokens.token_make(invitation.pk)
    invitations_send(ids=[invitation.pk])  # sends with its own token; put ours in place of it
    SurveyInvitation.objects.filter(pk=invitation.pk).update(token_hash=token_hash)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def answer(score: int) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.survey_answer(token=token, score=score)
            results.append("ok")
        except services.SurveyError as error:
            results.append(error.code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=answer, args=(score,)) for score in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "used"]
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1
