"""The default catalogue every organization starts with: badges and points per verb.

This is data, not interface text: names, descriptions and criteria are stored per
organization in French and English (``Badge.name_fr`` ...) and edited there, so they are not
translation strings. ``badges.services.catalogue.badges_ensure_defaults`` creates what an
organization lacks and never touches what it edited; adding a badge here gives it to every
organization at its next ``badges_ensure_defaults`` (a data migration for existing ones).

Codes are stable: meta-badges, the API and people's bookmarks refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ambassadors.models import Verb

Category = Verb.Category

PUBLICATION_VERBS = ["document_published", "news_published", "page_published"]


def tiers(*items: tuple[str, int, int]) -> list[dict[str, Any]]:
    """(tier, threshold, points) triples as the ``tiers`` JSON the kinds validate."""
    return [
        {"tier": tier, "threshold": threshold, "points": points}
        for tier, threshold, points in items
    ]


@dataclass(frozen=True)
class DefaultBadge:
    code: str
    category: str
    kind: str
    params: dict[str, Any]
    tiers: list[dict[str, Any]]
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    criteria_fr: str
    criteria_en: str
    revocable: bool = False
    position: int = 100

    def badge_fields(self) -> dict[str, Any]:
        """The ``Badge`` fields this default sets (besides organization and status)."""
        return {
            "code": self.code,
            "category": self.category,
            "kind": self.kind,
            "params": self.params,
            "tiers": self.tiers,
            "revocable": self.revocable,
            "name_fr": self.name_fr,
            "name_en": self.name_en,
            "description_fr": self.description_fr,
            "description_en": self.description_en,
            "criteria_fr": self.criteria_fr,
            "criteria_en": self.criteria_en,
            "position": self.position,
        }


DEFAULT_BADGES: tuple[DefaultBadge, ...] = (
    # -- Onboarding ---------------------------------------------------------------------
    DefaultBadge(
        code="bienvenue",
        category=Category.ONBOARDING,
        kind="first_time",
        params={"verbs": ["welcome_tour_completed"]},
        tiers=tiers(("bronze", 1, 5)),
        name_fr="Bienvenue",
        name_en="Welcome",
        description_fr="La visite guidée de l’intranet est faite : le premier pas.",
        description_en="The intranet’s welcome tour is done: the first step.",
        criteria_fr="Terminer la visite guidée de l’intranet.",
        criteria_en="Complete the intranet’s welcome tour.",
        position=10,
    ),
    DefaultBadge(
        code="profil-a-jour",
        category=Category.ONBOARDING,
        kind="first_time",
        params={"verbs": ["profile_updated"]},
        tiers=tiers(("bronze", 1, 5)),
        name_fr="Profil à jour",
        name_en="Profile up to date",
        description_fr="Sa fiche dans l’annuaire est complétée : les collègues savent qui joindre.",
        description_en="Their directory profile is filled in: colleagues know whom to reach.",
        criteria_fr="Mettre à jour son profil dans l’annuaire.",
        criteria_en="Update one’s directory profile.",
        position=20,
    ),
    # -- Publishing ---------------------------------------------------------------------
    DefaultBadge(
        code="premiere-publication",
        category=Category.PUBLISHING,
        kind="first_time",
        params={"verbs": PUBLICATION_VERBS},
        tiers=tiers(("bronze", 1, 10)),
        name_fr="Première publication",
        name_en="First publication",
        description_fr="Une première actualité, page ou document publié sur l’intranet.",
        description_en="A first news item, page or document published on the intranet.",
        criteria_fr="Publier une actualité, une page ou un document.",
        criteria_en="Publish a news item, a page or a document.",
        position=30,
    ),
    DefaultBadge(
        code="plume",
        category=Category.PUBLISHING,
        kind="activity_count",
        params={"verbs": PUBLICATION_VERBS, "window": {"type": "all_time"}},
        tiers=tiers(("bronze", 5, 10), ("silver", 20, 25), ("gold", 50, 50)),
        name_fr="Plume",
        name_en="Quill",
        description_fr="Une plume qui fait vivre l’intranet : actualités, pages et documents.",
        description_en="A writer who keeps the intranet alive: news, pages and documents.",
        criteria_fr="5, 20 puis 50 publications (actualités, pages ou documents).",
        criteria_en="5, 20, then 50 publications (news items, pages or documents).",
        position=40,
    ),
    DefaultBadge(
        code="mois-fort",
        category=Category.PUBLISHING,
        kind="activity_count",
        params={"verbs": PUBLICATION_VERBS, "window": {"type": "calendar", "period": "month"}},
        tiers=tiers(("bronze", 5, 10), ("silver", 10, 20), ("gold", 20, 40)),
        name_fr="Mois fort",
        name_en="Big month",
        description_fr="Un mois où l’on a beaucoup publié : le meilleur mois compte.",
        description_en="A month of many publications: the best month counts.",
        criteria_fr="5, 10 puis 20 publications dans un même mois civil.",
        criteria_en="5, 10, then 20 publications within one calendar month.",
        position=50,
    ),
    # -- Mentoring ----------------------------------------------------------------------
    DefaultBadge(
        code="premier-accompagnement",
        category=Category.MENTORING,
        kind="first_time",
        params={"verbs": ["coaching_given"]},
        tiers=tiers(("bronze", 1, 10)),
        name_fr="Premier accompagnement",
        name_en="First coaching",
        description_fr="Un premier collègue accompagné dans sa découverte de l’intranet.",
        description_en="A first colleague coached in discovering the intranet.",
        criteria_fr="Enregistrer un premier accompagnement donné.",
        criteria_en="Log a first coaching session given.",
        position=60,
    ),
    DefaultBadge(
        code="coach",
        category=Category.MENTORING,
        kind="distinct_agents_coached",
        params={"confirmation": "organization"},
        tiers=tiers(("bronze", 5, 20), ("silver", 15, 50), ("gold", 40, 100)),
        name_fr="Coach",
        name_en="Coach",
        description_fr="Des collègues différents accompagnés, un par un ou en groupe.",
        description_en="Different colleagues coached, one by one or in groups.",
        criteria_fr="Avoir accompagné 5, 15 puis 40 agents différents.",
        criteria_en="Have coached 5, 15, then 40 different agents.",
        position=70,
    ),
    DefaultBadge(
        code="tournee-des-services",
        category=Category.MENTORING,
        kind="distinct_units_reached",
        params={"confirmation": "organization"},
        tiers=tiers(("bronze", 3, 15), ("silver", 8, 40), ("gold", 15, 80)),
        name_fr="Tournée des services",
        name_en="Tour of the services",
        description_fr="Des agents accompagnés dans des services différents.",
        description_en="Agents coached across different services.",
        criteria_fr="Avoir accompagné des agents de 3, 8 puis 15 services différents.",
        criteria_en="Have coached agents from 3, 8, then 15 different services.",
        position=80,
    ),
    DefaultBadge(
        code="main-tendue",
        category=Category.MENTORING,
        kind="coached_without_equipment",
        params={"confirmation": "organization"},
        tiers=tiers(("gold", 1, 30)),
        name_fr="Main tendue",
        name_en="Helping hand",
        description_fr=(
            "Un collègue sans poste de travail ni compte accompagné : personne n’est laissé "
            "de côté."
        ),
        description_en=(
            "A colleague without a workstation or an account was coached: nobody is left out."
        ),
        criteria_fr="Avoir accompagné un agent sans poste de travail ou sans compte.",
        criteria_en="Have coached an agent without a workstation or without an account.",
        position=90,
    ),
    DefaultBadge(
        code="ambassadeur-accompli",
        category=Category.MENTORING,
        kind="meta",
        params={"badges": ["coach", "main-tendue", "tournee-des-services"]},
        tiers=tiers(("gold", 3, 100)),
        name_fr="Ambassadeur·rice accompli·e",
        name_en="Accomplished ambassador",
        description_fr=(
            "Coach, tournée des services et main tendue : le rôle d’ambassadeur au complet."
        ),
        description_en="Coach, tour of the services and helping hand: the ambassador’s full role.",
        criteria_fr="Détenir les badges Coach, Tournée des services et Main tendue.",
        criteria_en="Hold the Coach, Tour of the services and Helping hand badges.",
        position=100,
    ),
    # -- Community ----------------------------------------------------------------------
    DefaultBadge(
        code="commentateur",
        category=Category.COMMUNITY,
        kind="activity_count",
        params={"verbs": ["comment_posted"], "window": {"type": "all_time"}},
        tiers=tiers(("bronze", 10, 5), ("silver", 50, 15), ("gold", 150, 30)),
        name_fr="Commentateur·rice",
        name_en="Commenter",
        description_fr="Fait vivre les échanges sous les publications.",
        description_en="Keeps the conversation going under publications.",
        criteria_fr="10, 50 puis 150 commentaires publiés.",
        criteria_en="10, 50, then 150 comments posted.",
        position=110,
    ),
    DefaultBadge(
        code="evenements",
        category=Category.COMMUNITY,
        kind="events",
        params={"role": "attended"},
        tiers=tiers(("bronze", 1, 3), ("silver", 5, 10), ("gold", 10, 20)),
        name_fr="Événements",
        name_en="Events",
        description_fr="Présent aux démonstrations, formations et ateliers.",
        description_en="Present at demos, trainings and workshops.",
        criteria_fr="Avoir participé à 1, 5 puis 10 événements.",
        criteria_en="Have attended 1, 5, then 10 events.",
        position=120,
    ),
    DefaultBadge(
        code="animateur",
        category=Category.COMMUNITY,
        kind="events",
        params={"role": "organised"},
        tiers=tiers(("bronze", 1, 10), ("silver", 5, 25), ("gold", 15, 50)),
        name_fr="Animateur·rice",
        name_en="Host",
        description_fr="Anime des démonstrations, formations ou ateliers pour les collègues.",
        description_en="Runs demos, trainings or workshops for colleagues.",
        criteria_fr="Avoir animé 1, 5 puis 15 événements.",
        criteria_en="Have run 1, 5, then 15 events.",
        position=130,
    ),
    DefaultBadge(
        code="regulier",
        category=Category.COMMUNITY,
        kind="streak",
        params={"verbs": [*PUBLICATION_VERBS, "coaching_given", "comment_posted"]},
        tiers=tiers(("bronze", 4, 10), ("silver", 8, 25), ("gold", 16, 50)),
        name_fr="Régulier·ère",
        name_en="Steady",
        description_fr=(
            "Actif semaine après semaine : les congés et le temps partiel sont comptés en "
            "semaines, pas en jours."
        ),
        description_en=(
            "Active week after week: leave and part time are counted in weeks, not days."
        ),
        criteria_fr=(
            "Publier, commenter ou accompagner pendant 4, 8 puis 16 semaines de travail "
            "consécutives."
        ),
        criteria_en="Publish, comment or coach in 4, 8, then 16 consecutive working weeks.",
        position=140,
    ),
    DefaultBadge(
        code="pilier",
        category=Category.COMMUNITY,
        kind="activity_count",
        params={
            "verbs": [*PUBLICATION_VERBS, "comment_posted"],
            "window": {"type": "rolling", "days": 90},
        },
        tiers=tiers(("gold", 12, 30)),
        revocable=True,
        name_fr="Pilier",
        name_en="Pillar",
        description_fr=(
            "Un pilier de l’intranet en ce moment : le badge est retiré quand l’activité "
            "retombe, et revient avec elle."
        ),
        description_en=(
            "A pillar of the intranet right now: the badge is withdrawn when activity drops, "
            "and comes back with it."
        ),
        criteria_fr="Au moins 12 publications ou commentaires sur les 90 derniers jours.",
        criteria_en="At least 12 publications or comments over the last 90 days.",
        position=150,
    ),
)

DEFAULT_BADGE_CODES = frozenset(badge.code for badge in DEFAULT_BADGES)


class DefaultPoints(NamedTuple):
    verb: str
    points: int
    daily_cap: int | None  # counted per agent and day; None: no cap


# Caps keep the points fair: a burst of comments or a bulk upload of documents counts for a
# day's normal work, not for a leaderboard landslide. Coaching has its own cap per (coach,
# agent) pair and week (``EngineSettings``); its daily cap bounds a group demo's roster.
DEFAULT_POINTS: tuple[DefaultPoints, ...] = (
    DefaultPoints("first_login", 5, 1),
    DefaultPoints("welcome_tour_completed", 5, 1),
    DefaultPoints("profile_updated", 2, 1),
    DefaultPoints("training_completed", 5, 2),
    DefaultPoints("news_published", 10, 5),
    DefaultPoints("page_published", 5, 5),
    DefaultPoints("document_published", 3, 10),
    DefaultPoints("comment_posted", 1, 10),
    DefaultPoints("coaching_given", 10, 10),
    DefaultPoints("coaching_received", 2, 3),
    DefaultPoints("event_attended", 3, 3),
    # Delivered by comms on the agent's behalf: recorded, not rewarded.
    DefaultPoints("credentials_delivered", 0, None),
)
