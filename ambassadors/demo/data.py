"""The Ville de Valmont: its org chart, sites, trades and the names of its agents.

Plain data, no Django: the generator (``ambassadors.demo.generator``) draws from it with a
seeded ``random.Random`` so the same seed always gives the same collectivité.
"""

from __future__ import annotations

from dataclasses import dataclass

ORGANIZATION_SLUG = "valmont"
ORGANIZATION_NAME = "Ville de Valmont"
ORGANIZATION_TIMEZONE = "Europe/Paris"
ORGANIZATION_LANGUAGE = "fr"
EMAIL_DOMAIN = "valmont.fr"
HR_ID_PREFIX = "VAL"


@dataclass(frozen=True)
class SiteSpec:
    code: str
    name: str
    address: str


SITES: tuple[SiteSpec, ...] = (
    SiteSpec("HDV", "Hôtel de ville", "1 place de la République\n76540 Valmont"),
    SiteSpec("CTM", "Centre technique municipal", "12 rue des Ateliers\n76540 Valmont"),
    SiteSpec("CUI", "Cuisine centrale", "4 allée Louise-Michel\n76540 Valmont"),
    SiteSpec("MED", "Médiathèque", "27 boulevard Victor-Hugo\n76540 Valmont"),
    SiteSpec("CNA", "Centre nautique", "2 avenue du Stade\n76540 Valmont"),
    SiteSpec("GSJJ", "Groupe scolaire Jean-Jaurès", "15 rue Jean-Jaurès\n76540 Valmont"),
    SiteSpec("CCAS", "CCAS", "8 rue de l'Abbaye\n76540 Valmont"),
    SiteSpec("SER", "Serres municipales", "Chemin des Prés-Fleuris\n76540 Valmont"),
)


@dataclass(frozen=True)
class UnitSpec:
    """One unit and how its agents look.

    ``weight`` is its share of the headcount; ``field_share`` the probability that one of its
    agents has no workstation; ``sites`` the sites its agents work at (None: no listed site);
    ``jobs`` their job titles, with weights.
    """

    code: str
    name: str
    parent: str | None
    weight: float
    field_share: float
    sites: tuple[str | None, ...]
    jobs: tuple[tuple[str, int], ...]
    minimum: int = 1
    head_title: str = ""
    has_head: bool = True


U = UnitSpec
# One unit a row, parents before children. fmt: off keeps the table readable.
# fmt: off
UNITS: tuple[UnitSpec, ...] = (
    # Direction générale
    U("DGS", "Direction générale des services", None, 4, 0.0, ("HDV",),
      (("assistant·e de direction", 2), ("chargé·e de mission", 1)), minimum=2,
      head_title="directeur·rice général·e des services"),
    U("DGS-AJ", "Affaires juridiques et assemblées", "DGS", 20, 0.0, ("HDV",),
      (("juriste", 2), ("gestionnaire des assemblées", 1), ("assistant·e juridique", 1))),
    U("DGS-COM", "Communication", "DGS", 8, 0.0, ("HDV",),
      (("chargé·e de communication interne", 2), ("chargé·e de communication", 2),
       ("graphiste", 1), ("community manager", 1)),
      minimum=3, has_head=False),
    U("DGS-NUM", "Systèmes d'information", "DGS", 40, 0.0, ("HDV",),
      (("technicien·ne support", 3), ("administrateur·rice systèmes et réseaux", 1),
       ("chef·fe de projet numérique", 1))),
    # Services techniques
    U("DST", "Direction des services techniques", None, 6, 0.0, ("CTM",),
      (("assistant·e de direction", 2), ("ingénieur·e travaux", 1)), minimum=2,
      head_title="directeur·rice des services techniques"),
    U("DST-VOI", "Voirie", "DST", 30, 0.5, ("CTM",),
      (("agent·e de voirie", 5), ("chef·fe d'équipe voirie", 1), ("conducteur·rice d'engins", 1))),
    U("DST-VOI-PRO", "Propreté urbaine", "DST-VOI", 60, 0.85, ("CTM",),
      (("agent·e de propreté urbaine", 8), ("conducteur·rice de balayeuse", 2),
       ("chef·fe d'équipe propreté", 1))),
    U("DST-VOI-SIG", "Signalisation et éclairage public", "DST-VOI", 25, 0.6, ("CTM",),
      (("électricien·ne éclairage public", 3), ("agent·e de signalisation", 3))),
    U("DST-EV", "Espaces verts", "DST", 55, 0.7, ("CTM", "SER"),
      (("jardinier·ère", 8), ("élagueur·se", 2), ("chef·fe d'équipe espaces verts", 1))),
    U("DST-EV-SER", "Serres municipales", "DST-EV", 20, 0.7, ("SER",),
      (("horticulteur·rice", 4), ("jardinier·ère", 2))),
    U("DST-BAT", "Bâtiments", "DST", 35, 0.3, ("CTM",),
      (("technicien·ne bâtiment", 2), ("dessinateur·rice projeteur·se", 1),
       ("agent·e de maintenance des bâtiments", 3))),
    U("DST-BAT-REG", "Régie bâtiment", "DST-BAT", 40, 0.7, ("CTM",),
      (("plombier·ère", 2), ("électricien·ne", 2), ("menuisier·ère", 2), ("peintre", 2),
       ("serrurier·ère", 1))),
    U("DST-GAR", "Parc automobile et logistique", "DST", 25, 0.5, ("CTM",),
      (("mécanicien·ne", 3), ("magasinier·ère", 2), ("chauffeur·se poids lourds", 2))),
    # Éducation
    U("DEJ", "Direction de l'éducation", None, 6, 0.0, ("HDV",),
      (("assistant·e de direction", 2), ("coordinateur·rice éducatif·ve", 1)), minimum=2,
      head_title="directeur·rice de l'éducation"),
    U("DEJ-RES", "Restauration scolaire", "DEJ", 25, 0.2, ("CUI",),
      (("diététicien·ne", 1), ("gestionnaire restauration", 2), ("responsable qualité", 1))),
    U("DEJ-RES-CUI", "Cuisine centrale", "DEJ-RES", 40, 0.75, ("CUI",),
      (("cuisinier·ère", 5), ("commis·e de cuisine", 4), ("plongeur·se", 2),
       ("chauffeur·se livreur·se", 1))),
    U("DEJ-RES-OFF", "Offices de restauration", "DEJ-RES", 45, 0.8, ("GSJJ",),
      (("agent·e de restauration", 6), ("responsable d'office", 1))),
    U("DEJ-ENT", "Entretien des écoles", "DEJ", 100, 0.75, ("GSJJ",),
      (("agent·e d'entretien", 8), ("ATSEM", 4), ("agent·e polyvalent·e des écoles", 2))),
    U("DEJ-PER", "Accueils périscolaires", "DEJ", 100, 0.3, ("GSJJ",),
      (("animateur·rice périscolaire", 8), ("directeur·rice d'accueil de loisirs", 1))),
    U("DEJ-PE", "Petite enfance", "DEJ", 110, 0.15, ("GSJJ", "HDV"),
      (("auxiliaire de puériculture", 5), ("éducateur·rice de jeunes enfants", 2),
       ("agent·e d'entretien", 1))),
    # Ressources humaines
    U("DRH", "Direction des ressources humaines", None, 4, 0.0, ("HDV",),
      (("assistant·e de direction", 1),), minimum=2,
      head_title="directeur·rice des ressources humaines"),
    U("DRH-CAR", "Carrières et paie", "DRH", 40, 0.0, ("HDV",),
      (("gestionnaire RH", 3), ("gestionnaire paie", 2))),
    U("DRH-EMP", "Emploi et compétences", "DRH", 30, 0.0, ("HDV",),
      (("chargé·e de recrutement", 2), ("chargé·e de formation", 2))),
    U("DRH-PRV", "Prévention et santé au travail", "DRH", 12, 0.1, ("HDV", "CTM"),
      (("conseiller·ère de prévention", 2), ("assistant·e social·e du personnel", 1))),
    # Finances
    U("DFI", "Direction des finances", None, 4, 0.0, ("HDV",),
      (("assistant·e de direction", 1),), minimum=2,
      head_title="directeur·rice des finances"),
    U("DFI-BUD", "Budget et comptabilité", "DFI", 35, 0.0, ("HDV",),
      (("gestionnaire comptable", 3), ("analyste financier·ère", 1))),
    U("DFI-ACH", "Commande publique", "DFI", 20, 0.0, ("HDV",),
      (("acheteur·se public·que", 2), ("gestionnaire marchés publics", 2))),
    # Culture
    U("DCU", "Direction de la culture", None, 4, 0.0, ("MED",),
      (("assistant·e de direction", 1), ("chargé·e de programmation", 1)), minimum=2,
      head_title="directeur·rice de la culture"),
    U("DCU-MED", "Médiathèque", "DCU", 50, 0.1, ("MED",),
      (("bibliothécaire", 3), ("assistant·e de conservation", 2), ("agent·e du patrimoine", 2))),
    U("DCU-MED-JEU", "Secteur jeunesse", "DCU-MED", 20, 0.2, ("MED",),
      (("bibliothécaire jeunesse", 2), ("agent·e du patrimoine", 2))),
    U("DCU-CON", "Conservatoire", "DCU", 55, 0.25, (None,),
      (("professeur·e de musique", 6), ("professeur·e de danse", 2), ("agent·e d'accueil", 1))),
    # Sports
    U("DSP", "Direction des sports", None, 3, 0.0, ("CNA",),
      (("assistant·e de direction", 1),), minimum=2, head_title="directeur·rice des sports"),
    U("DSP-CNA", "Centre nautique", "DSP", 35, 0.3, ("CNA",),
      (("maître-nageur·se sauveteur·se", 4), ("agent·e d'accueil", 2),
       ("agent·e d'entretien", 2), ("technicien·ne de bassin", 1))),
    U("DSP-EQS", "Équipements sportifs", "DSP", 30, 0.7, ("CNA", None),
      (("gardien·ne de gymnase", 3), ("agent·e d'entretien des équipements", 3),
       ("éducateur·rice sportif·ve", 2))),
    # Action sociale
    U("CCAS", "Action sociale / CCAS", None, 6, 0.0, ("CCAS",),
      (("assistant·e de direction", 1), ("chargé·e de mission", 1)), minimum=2,
      head_title="directeur·rice du CCAS"),
    U("CCAS-ACC", "Accueil et accompagnement social", "CCAS", 50, 0.1, ("CCAS",),
      (("travailleur·se social·e", 3), ("agent·e d'accueil", 2),
       ("conseiller·ère en insertion", 1))),
    U("CCAS-SAD", "Aide à domicile", "CCAS", 50, 0.95, ("CCAS",),
      (("aide à domicile", 8), ("auxiliaire de vie", 4), ("coordinateur·rice de secteur", 1))),
    # Tranquillité publique
    U("DTP", "Direction de la tranquillité publique", None, 3, 0.0, ("HDV",),
      (("assistant·e de direction", 1),), minimum=2,
      head_title="directeur·rice de la tranquillité publique"),
    U("DTP-PM", "Police municipale", "DTP", 50, 0.25, ("HDV",),
      (("gardien·ne-brigadier·ère", 5), ("brigadier·ère-chef·fe principal·e", 1),
       ("opérateur·rice de vidéoprotection", 1), ("ASVP", 2))),
    # Population
    U("DPC", "Direction de la population et de la citoyenneté", None, 3, 0.0, ("HDV",),
      (("assistant·e de direction", 1),), minimum=2,
      head_title="directeur·rice de la population"),
    U("DPC-EC", "État civil", "DPC", 35, 0.0, ("HDV",),
      (("officier·ère d'état civil", 3), ("agent·e d'accueil", 2))),
    U("DPC-ACC", "Accueil de la mairie", "DPC", 35, 0.2, ("HDV",),
      (("agent·e d'accueil", 4), ("standardiste", 1), ("appariteur·rice", 1))),
)
# fmt: on
del U


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


# The demo cast, placed in these units (see ``plan._plan_cast``).
COMMS_UNIT = "DGS-COM"
DEMO_MANAGER_UNIT = "DST"
DEMO_AMBASSADOR_UNIT = "DST-VOI-PRO"
DEMO_AMBASSADOR_COVERS = ("DST-VOI-PRO", "DST-EV")
DEMO_AGENT_UNIT = "DST-EV"

FEMALE_FIRST_NAMES = _names(
    """
    Hélène, Chloé, Noémie, Léa, Camille, Manon, Émilie, Sophie, Isabelle, Nathalie, Sandrine,
    Céline, Valérie, Stéphanie, Aurélie, Julie, Marie, Anne, Catherine, Christine, Françoise,
    Monique, Sylvie, Véronique, Laëtitia, Agnès, Béatrice, Cécile, Élodie, Geneviève, Inès,
    Jeanne, Karine, Léna, Maëlle, Mélanie, Océane, Pauline, Renée, Solène, Thérèse, Yasmine,
    Zoé, Fatima, Amina, Nadia, Samira, Aïcha, Fatoumata, Marie-Hélène, Anne-Sophie,
    Marie-Noëlle, Clémence, Margaux, Anaïs, Josiane, Odile, Brigitte, Murielle, Séverine,
    Corinne, Delphine, Mathilde, Héloïse, Louise, Gaëlle, Noëlle, Lucie, Audrey, Linh, Mei,
    Ana, Joëlle
    """
)
MALE_FIRST_NAMES = _names(
    """
    François, Noël, Jérôme, Stéphane, Sébastien, Frédéric, Hervé, Cédric, Grégory, Jean,
    Pierre, Michel, Philippe, Alain, Patrick, Christophe, Laurent, Nicolas, Thierry, Éric,
    Pascal, Olivier, David, Julien, Thomas, Maxime, Antoine, Benoît, Bruno, Damien, Fabrice,
    Gaël, Hugo, Jérémy, Joël, Kévin, Lionel, Loïc, Mathéo, Raphaël, Régis, Rémi, Yannick,
    Mohamed, Karim, Rachid, Mamadou, Moussa, Youssef, Mehdi, Jean-Pierre, Jean-Luc,
    Jean-François, Pierre-Yves, Anthony, Ludovic, Mickaël, Gérard, Dominique, Serge, Didier,
    Émile, Léo, Théo, Nathan, Lucas, Clément, Aurélien, Adrien, Minh, Duc, João, Tiago
    """
)
LAST_NAMES = _names(
    """
    Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon,
    Laurent, Lefèvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, Girard,
    André, Lefebvre, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, Garnier,
    Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Nicolas, Perrin, Morin, Mathieu,
    Clément, Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, Gérard,
    Nguyen, Boyer, Denis, Lemaire, Duval, Joly, Gautier, Roger, Roche, Roy, Noël, Meyer, Lucas,
    Meunier, Jean, Pérez, Marchand, Dufour, Blanchard, Barbier, Brun, Dumas, Brunet, Schmitt,
    Leroux, Colin, Fernandez, Pierre, Renard, Arnaud, Rolland, Caron, Aubert, Giraud, Leclerc,
    Vidal, Bourgeois, Renaud, Lemoine, Picard, Gaillard, Philippe, Leclercq, Lacroix, Fabre,
    Dupuis, Olivier, Rodriguez, Da Silva, Hubert, Louis, Charles, Guillot, Rivière, Le Gall,
    Guillaume, Adam, Rey, Moulin, Gonzalez, Berger, Lecomte, Ménard, Fleury, Deschamps,
    Carpentier, Julien, Benoît, Paris, Maillard, Marchal, Aubry, Vasseur, Le Roux, Renault,
    Jacquet, Collet, Prévost, Poirier, Charpentier, Royer, Huet, Baron, Dupuy, Pons, Paul,
    Laine, Carré, Breton, Rémy, Schneider, Perrot, Guyot, Barré, Marty, Cousin, Benali, Haddad,
    Diallo, Traoré, Mendes, Ferreira, Pereira, Lebrun, Besnard, Hamon, Le Goff, Kerjean,
    N'Diaye, Bouvier, Tessier, Lejeune, Hoarau, Payet, Grondin, Chauvin, Hébert, Leblanc,
    Bouchet, Gaudin, Delattre, Lévêque, Cordier, Texier, Maréchal, Lemaître, Bénard, Gilbert,
    Devaux, Pottier, Boucher, Camus, d'Almeida, Ben Amor, Nguyen Van, Tran, Pham, Yilmaz, Kaya,
    Ouattara
    """
)
