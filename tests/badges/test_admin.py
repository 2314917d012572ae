from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from badges.models import PointRule
from tests.conftest import login

from .helpers import points

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_comms_client(comms):
    comms.user.is_staff = True
    comms.user.save()
    comms.user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["badges", "ambassadors"])
    )
    return login(comms)


@pytest.mark.parametrize(
    "name",
    [
        "badges_pointrule",
        "badges_enginesettings",
        "badges_award",
        "badges_awardlog",
        "ambassadors_coachingsettings",
    ],
)
def test_every_engine_changelist_opens_for_the_comms_team(staff_comms_client, name):
    assert staff_comms_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_points_per_verb_of_another_organization_are_not_listed(
    staff_comms_client, organization, other_organization
):
    points(organization, "news_published", 10)
    points(other_organization, "news_published", 7)
    response = staff_comms_client.get(reverse("admin:badges_pointrule_changelist"))
    shown = list(response.context["cl"].queryset)
    assert [rule.organization_id for rule in shown] == [organization.pk]
    other = PointRule.objects.get(organization=other_organization)
    page = staff_comms_client.get(reverse("admin:badges_pointrule_change", args=[other.pk]))
    assert page.status_code in (302, 404)
