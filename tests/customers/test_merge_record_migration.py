"""``MergeRecord`` moved from ``imports`` to ``customers`` (imports/0008, customers/0016) without losing a row: the
table is renamed, the timeline's merge rows and the content type follow, and the way back restores the old names."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kehu.customers.models import Activity, MergeRecord

# the two migrations that move the model, in the order they apply
MOVE = [("imports", "0008_merge_record_to_customers"), ("customers", "0016_merge_record")]


def _undo_move(executor) -> list:
    """Unapply the two migrations, and only them: what later migrations of every app did stays (none of it touches
    the merge records), so the test does not migrate the whole project back and forth (34 s on SQLite, 2 cores)."""
    undone = []
    for key in reversed(MOVE):
        executor.unapply_migration(executor.loader.project_state(key, at_end=False), executor.loader.graph.nodes[key])
        undone.append(key)
    return undone


def _redo_move(executor, undone: list) -> None:
    for key in reversed(undone):
        executor.apply_migration(executor.loader.project_state(key, at_end=False), executor.loader.graph.nodes[key])


@pytest.mark.django_db(transaction=True)
def test_existing_merge_records_move_with_their_rows(make_customer, users):
    kept = make_customer("张三", mobile="13800138000")
    executor = MigrationExecutor(connection)
    undone = []
    try:
        undone = _undo_move(executor)
        tables = connection.introspection.table_names()
        assert "imports_mergerecord" in tables and "customers_mergerecord" not in tables
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO imports_mergerecord (kept_customer_id, merged_customer_id, merged_code, merged_name, "
                "merged_snapshot, field_choices, moved, reason, merged_by_id, merged_at) "
                "VALUES (%s, 99, 'KH99', '张叁', '{\"mobile\": \"13800138000\"}', '{}', '{}', '同一人', %s, %s)",
                [kept.pk, users["administrator"].pk, "2026-01-02 03:04:05+00:00"])
            cursor.execute("SELECT id FROM imports_mergerecord")
            record_id = cursor.fetchone()[0]
        Activity.objects.create(customer=kept, occurred_at="2026-01-02T03:04:05Z", kind="merge",
                                subject_type="imports.mergerecord", subject_id=record_id,
                                data={"merged_code": "KH99", "merged_name": "张叁", "reason": "同一人"})
        ContentType.objects.filter(app_label="customers", model="mergerecord").delete()
        ContentType.objects.get_or_create(app_label="imports", model="mergerecord")
        ContentType.objects.clear_cache()
    finally:
        _redo_move(executor, undone)

    tables = connection.introspection.table_names()
    assert "customers_mergerecord" in tables and "imports_mergerecord" not in tables
    record = MergeRecord.objects.get(pk=record_id)
    assert (record.kept_customer, record.merged_code, record.merged_name, record.reason) == (kept, "KH99", "张叁",
                                                                                           "同一人")
    assert record.merged_snapshot == {"mobile": "13800138000"} and record.merged_by == users["administrator"]
    assert list(Activity.objects.filter(kind="merge").values_list("subject_type", "subject_id")) == [
        ("customers.mergerecord", record_id)]
    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label="imports", model="mergerecord").exists()
    assert ContentType.objects.filter(app_label="customers", model="mergerecord").exists()
    # and a new merge still writes to the moved table
    assert MergeRecord.objects.create(kept_customer=kept, merged_customer_id=100, merged_code="KH100",
                                      merged_name="李四").pk > record_id
