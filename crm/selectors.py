"""Reads of the CRM domain, and who may see what (SPEC section 1).

A manager sees their own records, a lead their team's, an admin everything. Anything
else is hidden, so the API answers 404 for it and never leaks that an id exists.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from crm.models import Call, Contact, Meeting, Profile, Prospect, Referral, Role, Team

User = get_user_model()


def profile_of(user: AbstractBaseUser) -> Profile | None:
    """The user's profile (cached on the user object for the rest of the request)."""
    if not user.is_authenticated:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def role_of(user: AbstractBaseUser) -> str | None:
    """admin for superusers; else the profile's role; None without a profile."""
    if user.is_authenticated and user.is_superuser:
        return Role.ADMIN
    profile = profile_of(user)
    return profile.role if profile else None


def team_id_of(user: AbstractBaseUser) -> int | None:
    profile = profile_of(user)
    return profile.team_id if profile else None


def owner_filter(user: AbstractBaseUser, field: str) -> Q:
    """The condition on ``field`` (a user FK path) for rows the user may see."""
    role = role_of(user)
    if role == Role.ADMIN:
        return Q()
    if role == Role.LEAD:
        team_id = team_id_of(user)
        return Q(**{f"{field}__profile__team_id": team_id}) if team_id else Q(pk__in=[])
    if role == Role.MANAGER:
        return Q(**{f"{field}_id": user.pk})
    return Q(pk__in=[])


def visible_users(user: AbstractBaseUser) -> QuerySet:
    role = role_of(user)
    users = User.objects.select_related("profile__team")
    if role == Role.ADMIN:
        return users
    if role == Role.LEAD:
        return users.filter(profile__team_id=team_id_of(user))
    if role == Role.MANAGER:
        return users.filter(pk=user.pk)
    return users.none()


def visible_teams(user: AbstractBaseUser) -> QuerySet[Team]:
    if role_of(user) == Role.ADMIN:
        return Team.objects.select_related("sector", "lead")
    return Team.objects.select_related("sector", "lead").filter(pk=team_id_of(user) or 0)


def visible_prospects(user: AbstractBaseUser) -> QuerySet[Prospect]:
    return Prospect.objects.filter(owner_filter(user, "owner"))


def visible_contacts(user: AbstractBaseUser) -> QuerySet[Contact]:
    return Contact.objects.filter(owner_filter(user, "prospect__owner"))


def visible_calls(user: AbstractBaseUser) -> QuerySet[Call]:
    return Call.objects.filter(owner_filter(user, "manager"))


def visible_meetings(user: AbstractBaseUser) -> QuerySet[Meeting]:
    return Meeting.objects.filter(owner_filter(user, "manager"))


def visible_referrals(user: AbstractBaseUser) -> QuerySet[Referral]:
    return Referral.objects.filter(owner_filter(user, "manager"))
