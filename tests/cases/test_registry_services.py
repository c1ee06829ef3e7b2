"""The action registry names each action's service by its name in cases.services (it cannot
import them: the services import its rules). These hold the names to the package's API, so
a renamed service or keyword fails here and not on the first click of that action."""

from __future__ import annotations

import inspect

import pytest

from cases import services, workflow


class _AnyInput(dict):
    """Cleaned input holding every field any form or serializer has (values do not matter)."""

    def __missing__(self, key: str) -> object:
        return object()


@pytest.mark.parametrize("spec", workflow.ACTIONS.values(), ids=lambda spec: spec.action)
def test_each_action_names_a_public_service_and_its_keywords(spec: workflow.ActionDef) -> None:
    assert spec.service in services.__all__
    parameters = inspect.signature(getattr(services, spec.service)).parameters
    keywords = {"case_id", "actor", *spec.inputs(_AnyInput())}
    assert keywords <= parameters.keys()
    assert all(parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in keywords)
    required = {name for name, p in parameters.items() if p.default is inspect.Parameter.empty}
    assert required <= keywords


def test_the_package_exports_exactly_its_public_services() -> None:
    assert len(services.__all__) == len(set(services.__all__))
    for name in services.__all__:
        assert not name.startswith("_")
        assert callable(getattr(services, name))
    assert {"case_accept", "case_report", "cases_escalate_overdue", "notify_next_actors"} <= set(services.__all__)
