"""What a person may see: one scoping of programs shared by every page, command and API."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from mejora.accounts.models import Membership, Role
from mejora.followup.models import Program
from mejora.followup.scope import ImportRefused, ImportScope, import_target


def programs_for_user(user) -> QuerySet[Program]:
    """The programs a person's memberships reach; none for anonymous visitors."""
    programs = Program.objects.select_related("institution")
    if not user.is_authenticated or not user.is_active:
        return programs.none()
    if user.is_superuser:
        return programs.all()
    scope = Q(pk__in=[])
    for membership in Membership.objects.filter(user=user):
        if membership.program_id:
            scope |= Q(pk=membership.program_id)
        elif membership.area_id:
            scope |= Q(aspects__activities__area_roles__area_id=membership.area_id)
        elif membership.institution_id:
            scope |= Q(institution_id=membership.institution_id)
        elif membership.role in (Role.ADMINISTRATOR, Role.OVERSIGHT, Role.EVALUATOR):
            return programs.all()
    return programs.filter(scope).distinct()


def get_program_for_user(user, pk: int) -> Program:
    """The program, or 404 for anyone outside its scope (no hint that it exists)."""
    program = programs_for_user(user).filter(pk=pk).first()
    if program is None:
        raise Http404("No existe el programa o no tiene acceso a él.")
    return program


def user_can_import(user) -> bool:
    """Liaisons, evaluation units and administrators bring annexes in."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(m.can_import for m in Membership.objects.filter(user=user))


def import_scope_for(user) -> ImportScope:
    """Where the person may import annexes, from their memberships (nothing for other roles)."""
    if not user.is_authenticated or not user.is_active:
        return ImportScope()
    if user.is_superuser:
        return ImportScope(everything=True)
    programs: set[int] = set()
    institutions: set[int] = set()
    all_institutions = everything = False
    for membership in Membership.objects.filter(user=user):
        if not membership.can_import:
            continue
        if membership.program_id:
            programs.add(membership.program_id)
        elif membership.institution_id:
            institutions.add(membership.institution_id)
        elif membership.role == Role.ADMINISTRATOR:
            everything = True
        else:  # an evaluation unit over every institution: never a new one
            all_institutions = True
    return ImportScope(
        programs=frozenset(programs),
        institutions=frozenset(institutions),
        all_institutions=all_institutions,
        everything=everything,
    )


def may_import_into(user, institution: str, program: str) -> bool:
    """Whether the person may import an annex naming this institution and program."""
    try:
        import_target(import_scope_for(user), institution=institution, program=program)
    except ImportRefused:
        return False
    return user_can_import(user)
