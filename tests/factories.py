"""Factories for bulk test data. Fixtures in conftest.py build the named cast."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from ambassadors.models import Agent, AmbassadorMandate, Organization, OrgUnit, Role, Site


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Ville n°{n}")
    slug = factory.Sequence(lambda n: f"ville-{n}")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"Service {n}")
    parent = None


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"Site {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    organization = factory.SubFactory(OrganizationFactory)
    hr_id = factory.Sequence(lambda n: f"M{n:06d}")
    first_name = factory.Sequence(lambda n: f"Camille{n}")
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    unit = None
    site = None


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        skip_postgeneration_save = True

    organization = factory.SelfAttribute("agent.organization")
    agent = factory.SubFactory(AgentFactory)
    kind = Role.Kind.COMMS

    @factory.post_generation
    def units(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.units.set(extracted)


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AmbassadorMandate
        skip_postgeneration_save = True

    organization = factory.SelfAttribute("agent.organization")
    agent = factory.SubFactory(AgentFactory)
    status = AmbassadorMandate.Status.ACTIVE

    @factory.post_generation
    def units(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.units.set(extracted)
