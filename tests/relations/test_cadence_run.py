"""The cadence run (`kehu cadence`, the beat task, ``cadence_run``): due tasks by tier and by management class,
idempotence for a day, overdue marking, who is skipped, the timeline rows, and hostile --as-of values."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.utils import timezone

from kehu.customers.models import Activity, CustomerTier
from kehu.relations.cadences.services import cadence_rule_create, cadence_run
from kehu.relations.models import ContactRecord
from kehu.work.models import Task

DAY = dt.date(2026, 6, 15)
LAST_LINE = "due tasks created {created}, overdue {overdue}"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 30)))


def contact(customer, day: dt.date, channel: str = "phone", hour: int = 10) -> ContactRecord:
    return ContactRecord.objects.create(customer=customer, branch_id=customer.branch_id, channel=channel,
                                        occurred_at=at(day, hour), summary="联系")


def cadence_tasks(**filters):
    return Task.objects.filter(kind="cadence", **filters)


class Cli:
    def __init__(self, capsys, monkeypatch) -> None:
        from django.db import connections

        monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction
        self.capsys = capsys

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        from kehu.cli import main

        self.capsys.readouterr()
        try:
            code = main(["cadence", *args])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        output = self.capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, output.out, output.err)


@pytest.fixture
def cli(db, capsys, monkeypatch):
    return Cli(capsys, monkeypatch)


@pytest.fixture
def book(users, make_customer):
    """Customers of am1: a tier-A person, a key-class one, one both A and key, a regular C one; one without an owner,
    a lost one (tier A)."""
    am = users["account_manager"]
    made = {
        "a": make_customer("甲", owner=am),
        "key": make_customer("乙", owner=am, management_class="key"),
        "both": make_customer("丙", owner=am, management_class="key"),
        "plain": make_customer("丁", owner=am),
        "orphan": make_customer("戊", management_class="key"),
        "lost": make_customer("己", owner=am, lifecycle_status="lost"),
    }
    for name, tier in (("a", "A"), ("both", "A"), ("plain", "C"), ("orphan", "A"), ("lost", "A")):
        CustomerTier.objects.create(customer=made[name], tier=tier)
    return made


@pytest.fixture
def rules(db):
    return {
        "call_a": cadence_rule_create(actor=None, tier="A", channel="phone", every=1, unit="week"),
        "visit_key": cadence_rule_create(actor=None, management_class="key", channel="visit", every=1,
                                         unit="quarter", title="季度拜访"),
    }


def test_rules_by_tier_and_by_class_make_one_task_per_customer_and_rule(cli, book, rules, users):
    result = cli.run("--as-of", DAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == LAST_LINE.format(created=4, overdue=0)
    made = {(task.customer_id, task.source_id) for task in cadence_tasks()}
    assert made == {(book["a"].pk, rules["call_a"].pk), (book["both"].pk, rules["call_a"].pk),
                    (book["key"].pk, rules["visit_key"].pk), (book["both"].pk, rules["visit_key"].pk)}
    visit = cadence_tasks(source_id=rules["visit_key"].pk).first()
    assert visit.title == "季度拜访" and visit.owner == users["account_manager"]
    assert visit.due_date == DAY and visit.status == Task.Status.OPEN and visit.created_by is None
    assert visit.branch_id == book["key"].branch_id and visit.source == rules["visit_key"]
    call = cadence_tasks(source_id=rules["call_a"].pk).first()
    assert call.title  # the channel and interval in the organisation's language
    # customers without an owner, lost customers and customers no rule applies to get none
    assert not cadence_tasks(customer__in=[book["orphan"], book["lost"], book["plain"]]).exists()


def test_running_again_for_the_same_day_creates_nothing(cli, book, rules):
    first = cli.run("--as-of", DAY.isoformat())
    second = cli.run("--as-of", DAY.isoformat())
    assert first.stdout.splitlines()[-1] == LAST_LINE.format(created=4, overdue=0)
    assert second.returncode == 0
    assert second.stdout.splitlines()[-1] == LAST_LINE.format(created=0, overdue=0)
    assert cadence_tasks().count() == 4


def test_the_unique_open_key_holds_even_without_the_check(book, rules):
    """The database refuses a second open task of a rule and customer (the run's ON CONFLICT relies on it)."""
    from django.db import IntegrityError, transaction

    cadence_run(as_of=DAY)
    task = cadence_tasks().first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(kind="cadence", title="x", owner_id=task.owner_id, due_date=DAY,
                            dedupe_key=task.dedupe_key)


def test_a_recent_contact_of_the_channel_satisfies_the_rule_and_an_old_one_sets_the_due_date(book, rules):
    contact(book["a"], DAY - dt.timedelta(days=6))  # within the week (the 7 days ending on DAY)
    contact(book["both"], DAY - dt.timedelta(days=10))  # fell due 3 days ago
    contact(book["both"], DAY - dt.timedelta(days=2), channel="sms")  # another channel does not count
    contact(book["key"], DAY + dt.timedelta(days=1), channel="visit")  # after the as-of day: not yet
    result = cadence_run(as_of=DAY)
    calls = {task.customer_id: task for task in cadence_tasks(source_id=rules["call_a"].pk)}
    assert set(calls) == {book["both"].pk}
    assert calls[book["both"].pk].due_date == DAY - dt.timedelta(days=3)
    # it fell due before the as-of day: overdue at once
    assert calls[book["both"].pk].overdue_since == DAY
    assert (result.created, result.overdue) == (3, 1)
    assert cadence_tasks(customer=book["key"], source_id=rules["visit_key"].pk).exists()


def test_a_contact_near_midnight_counts_on_its_local_day(book, rules):
    # 23:30 China time is 15:30 UTC the same day: the contact belongs to DAY - 7, so the call fell due on DAY
    contact(book["a"], DAY - dt.timedelta(days=7), hour=23)
    # 00:30 China time is 16:30 UTC the day before: still DAY - 6, within the week
    contact(book["both"], DAY - dt.timedelta(days=6), hour=0)
    cadence_run(as_of=DAY)
    task = cadence_tasks(customer=book["a"]).get()
    assert task.due_date == DAY and task.overdue_since is None
    assert not cadence_tasks(customer=book["both"], source_id=rules["call_a"].pk).exists()


def test_open_tasks_past_due_are_marked_overdue_once(cli, book, rules):
    cli.run("--as-of", DAY.isoformat())
    result = cli.run("--as-of", (DAY + dt.timedelta(days=1)).isoformat())
    assert result.stdout.splitlines()[-1] == LAST_LINE.format(created=0, overdue=4)
    assert set(cadence_tasks().values_list("overdue_since", flat=True)) == {DAY + dt.timedelta(days=1)}
    again = cli.run("--as-of", (DAY + dt.timedelta(days=1)).isoformat())
    assert again.stdout.splitlines()[-1] == LAST_LINE.format(created=0, overdue=0)
    # other kinds of task are not the run's business
    other = Task.objects.create(kind="call", title="x", owner_id=book["a"].owner_id, due_date=DAY - dt.timedelta(1))
    cadence_run(as_of=DAY + dt.timedelta(days=2))
    other.refresh_from_db()
    assert other.overdue_since is None


def test_completing_a_cadence_task_logs_a_contact_of_the_rules_channel_and_frees_the_key(book, rules, users):
    from kehu.work.services import task_complete

    cadence_run(as_of=DAY)
    task = cadence_tasks(customer=book["key"]).get()
    _task, written = task_complete(actor=users["account_manager"], task=task, outcome="拜访完成")
    assert [record.channel for record in written] == ["visit"]
    # the contact is recent: no new task; a quarter later the next one is due
    assert cadence_run(as_of=timezone.localdate()).created >= 0
    later = timezone.localdate() + dt.timedelta(days=91)
    cadence_run(as_of=later)
    assert cadence_tasks(customer=book["key"], status=Task.Status.OPEN).get().due_date == later


def test_inactive_rules_and_owners_who_left_make_no_tasks(book, rules, users):
    from kehu.relations.cadences.services import cadence_rule_update

    cadence_rule_update(actor=users["administrator"], rule=rules["visit_key"], is_active=False)
    users["account_manager"].is_active = False
    users["account_manager"].save()
    assert cadence_run(as_of=DAY).created == 0


def test_tasks_go_on_the_timeline_set_based(book, rules):
    cadence_run(as_of=DAY)
    rows = Activity.objects.filter(kind="task", customer=book["both"]).order_by("subject_id")
    assert rows.count() == 2
    tasks = list(cadence_tasks(customer=book["both"]).order_by("id"))
    assert [row.subject_id for row in rows] == [task.pk for task in tasks]
    data = rows[0].data
    assert data["action"] == "created" and data["task_kind"] == "cadence" and data["due_date"] == DAY.isoformat()
    assert data["title"] == tasks[0].title
    from kehu.customers.timeline import timeline_items

    assert "cadence" not in timeline_items(rows)[0].title.lower() or timeline_items(rows)[0].title


def test_the_beat_task_runs_the_service(book, rules, settings):
    from kehu.relations.tasks import cadence_run_task

    assert "kehu.relations.tasks.cadence_run_task" in {entry["task"] for entry in
                                                       settings.CELERY_BEAT_SCHEDULE.values()}
    assert cadence_run_task(as_of=DAY.isoformat()) == {"created": 4, "overdue": 0}
    assert cadence_run_task.apply(kwargs={"as_of": DAY.isoformat()}).get() == {"created": 0, "overdue": 0}


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "garbage", "2026-02-30", "2026-06-15\x00", ""])
def test_hostile_as_of_is_a_clear_error(cli, book, rules, value):
    result = cli.run("--as-of", value)
    if value == "":
        assert result.returncode == 0  # empty: today
        return
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert not cadence_tasks().exists()


def test_no_rules_no_tasks(cli, book):
    result = cli.run("--as-of", DAY.isoformat())
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == LAST_LINE.format(created=0, overdue=0)


def test_two_rules_of_one_channel_make_one_task_per_customer_the_more_frequent(cli, book, rules, users):
    """Tier A (weekly calls) and class key (monthly calls) both apply to "both": one open call task, the weekly."""
    monthly = cadence_rule_create(actor=None, management_class="key", channel="phone", every=1, unit="month")
    result = cli.run("--as-of", DAY.isoformat())
    assert result.returncode == 0, result.stderr
    calls = list(cadence_tasks(customer=book["both"]).exclude(source_id=rules["visit_key"].pk))
    assert [task.source_id for task in calls] == [rules["call_a"].pk]
    # "key" is only of class key: the monthly rule makes its call
    assert cadence_tasks(customer=book["key"], source_id=monthly.pk).count() == 1
    assert cli.run("--as-of", DAY.isoformat()).stdout.splitlines()[-1] == LAST_LINE.format(created=0, overdue=0)
    # the next period: once the call is done, the next one is made again, still one
    from kehu.work.services import task_complete

    task_complete(actor=users["account_manager"], task=calls[0], outcome="已联系")
    later = timezone.localdate() + dt.timedelta(days=40)
    cadence_run(as_of=later)
    assert cadence_tasks(customer=book["both"], status=Task.Status.OPEN).exclude(
        source_id=rules["visit_key"].pk).count() == 1


def test_a_run_in_small_chunks_makes_the_same_tasks_and_timeline_rows(book, rules):
    result = cadence_run(as_of=DAY - dt.timedelta(days=1), chunk=1)
    assert result.created == 4 and cadence_tasks().count() == 4
    assert Activity.objects.filter(kind="task").count() == 4
    again = cadence_run(as_of=DAY, chunk=2)
    assert (again.created, again.overdue) == (0, 4)
