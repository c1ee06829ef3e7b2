"""RiskScore (from geo) and PatrolTask (from grids) moved to the risk app with their rows:
a database at the migrations before the move, with a score, a task and a permission on
each old model, keeps all of them after migrating forward, the permissions now risk's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from tests.migration_steps import leaf_nodes, migrate_to

OLD_HOMES = [("geo", "0001_initial"), ("grids", "0003_patrol_task")]


@pytest.mark.django_db(transaction=True)
def test_scores_tasks_and_permissions_survive_the_move() -> None:
    leaves = leaf_nodes()
    # Every app at its newest migration except the three the move touches: risk unapplied,
    # geo and grids just before their state-only deletions.
    before = [node for node in leaves if node[0] not in {"risk", "geo", "grids"}] + OLD_HOMES
    try:
        old = migrate_to([*before, ("risk", None)]).loader.project_state(before).apps
        with pytest.raises(LookupError):
            old.get_model("risk", "RiskScore")
        square = MultiPolygon(Polygon(((120, 31), (120.01, 31), (120.01, 31.01), (120, 31.01), (120, 31))))
        Area = old.get_model("grids", "Area")
        city = Area.objects.create(code="320200", name="无锡市", level="city", geom=square)
        community = Area.objects.create(code="320213001001", name="社区", level="community", parent=city, geom=square)
        cell = old.get_model("grids", "GridCell").objects.create(
            code="320213001001001", name="一网格", community=community, geom=square)
        score = old.get_model("geo", "RiskScore").objects.create(
            cell=cell, horizon_start=dt.date(2026, 3, 10), horizon_days=7, model="recency_v1", score=2.5,
            level="red", factors=[{"factor": "cases_7d", "value": 3}])
        task = old.get_model("grids", "PatrolTask").objects.create(
            cell=cell, kind="risk_warning", due_date=dt.date(2026, 3, 11), horizon_start=dt.date(2026, 3, 10),
            risk_level="red", risk_score=2.5)
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission = old.get_model("auth", "Permission")
        score_type, _ = ContentType.objects.get_or_create(app_label="geo", model="riskscore")
        task_type, _ = ContentType.objects.get_or_create(app_label="grids", model="patroltask")
        view_score, _ = Permission.objects.get_or_create(
            content_type=score_type, codename="view_riskscore", defaults={"name": "Can view risk score"})
        change_task, _ = Permission.objects.get_or_create(
            content_type=task_type, codename="change_patroltask", defaults={"name": "Can change patrol task"})
        staffer = old.get_model("auth", "User").objects.create(username="staffer")
        staffer.user_permissions.add(view_score, change_task)
    finally:
        migrate_to(leaves)

    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    from risk.models import PatrolTask, RiskScore

    LiveContentType.objects.clear_cache()
    moved = RiskScore.objects.get()
    assert (moved.pk, moved.cell_id, moved.score, moved.level) == (score.pk, cell.pk, 2.5, "red")
    assert moved.factors == [{"factor": "cases_7d", "value": 3}]
    assert PatrolTask.objects.get().pk == task.pk
    # The same content type rows, renamed: whatever pointed at them follows the models.
    assert LiveContentType.objects.get_for_model(RiskScore).pk == score_type.pk
    assert LiveContentType.objects.get_for_model(PatrolTask).pk == task_type.pk
    assert not LiveContentType.objects.filter(app_label__in=["geo", "grids"],
                                              model__in=["riskscore", "patroltask"]).exists()
    assert User.objects.get(username="staffer").get_all_permissions() == {
        "risk.view_riskscore", "risk.change_patroltask"}
