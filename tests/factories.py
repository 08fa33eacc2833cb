"""Factories for object graphs the tests need beyond the sample annex."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from mejora.accounts.models import Membership, Role
from mejora.followup import models as m

# The institution the sample annex (and `synth_document`) names.
SEED_INSTITUTION = "Secretaría de Desarrollo Social"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Institution
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Secretaría de Prueba {n}")
    acronym = factory.Sequence(lambda n: f"SP{n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Program

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Programa de Prueba {n}")
    key = factory.Sequence(lambda n: f"S{100 + n}")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Area

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Dirección General de Prueba {n}")
    acronym = factory.Sequence(lambda n: f"DGP{n}")


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Cycle
        django_get_or_create = ("mechanism_year", "evaluation_period")

    mechanism_year = 2011
    evaluation_period = "2010-2011"
    heading = "ASPECTOS INSTITUCIONALES 2010-2011 (Mecanismo 2011)"


class AspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Aspect

    program = factory.SubFactory(ProgramFactory)
    cycle = factory.SubFactory(CycleFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    text = "Operación: Mejorar el padrón de beneficiarios"
    theme = "Operación"
    statement = "Mejorar el padrón de beneficiarios"
    classification = m.Classification.INSTITUTIONAL


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Activity

    aspect = factory.SubFactory(AspectFactory)
    order = factory.Sequence(lambda n: n + 1)
    text = "Depurar el padrón con la CURP"
    due_on = dt.date(2011, 12, 31)
    due_precision = "day"
    due_text = "31/12/2011"


class CutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Cut
        django_get_or_create = ("date",)

    date = dt.date(2012, 3, 31)
    name = "marzo 2012"


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ProgressReport

    activity = factory.SubFactory(ActivityFactory)
    cut = factory.SubFactory(CutFactory)
    percent = 50
    state = m.ProgressReport.State.VALIDATED


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"persona{n}")
    password = factory.django.Password("contraseña-de-prueba")


def member(role: Role, **scope) -> object:
    """A user holding one membership with the given role and scope."""
    user = UserFactory(username=f"{role.value}-{'-'.join(str(v.pk) for v in scope.values())}")
    Membership.objects.create(user=user, role=role, **scope)
    return user
