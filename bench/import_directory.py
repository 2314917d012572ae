"""Benchmark of the staff directory import: 50,000 agents, then the same file again.

    .venv/bin/python bench/import_directory.py [--rows 50000] [--database sqlite|postgres]
        [--repeat 3] [--seed 1] [--tracemalloc]

Generates (once, deterministically) a directory the way HR exports it — Windows-1252, ``;``,
French names with accents, ~400 units on 3 levels, 8 sites — into ``bench/data/``, sets up
a fresh database (SQLite under ``bench/data/`` or the PostgreSQL database
``relais_bench``), then, ``--repeat`` times: imports the file into a fresh organization and
re-imports it (everything unchanged). Each import runs in its own child process so that its
peak RSS (``resource.getrusage``) is its own; ``--tracemalloc`` adds the Python heap peak
(and slows the run: its times are not comparable). Prints rows/s, wall time and peak
memory of every run, then the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/relais_bench"
# Seconds and MB per phase; "update" (every agent changed) has no target in the issue.
TARGETS = {"import": (15.0, 300.0), "reimport": (8.0, 300.0), "update": (None, 300.0)}

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre-Noël",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noël",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Pérez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Marie",
    "Barbier",
    "Brun",
    "Dumas",
    "Brunet",
    "Schmitt",
    "Leroux",
    "Colin",
    "Fernandez",
    "Pierre",
    "Renard",
    "Arnaud",
    "Rolland",
    "Caron",
    "Aubert",
    "Giraud",
    "Leclerc",
    "Vidal",
    "Bourgeois",
    "Renaud",
    "Lemoine",
    "Picard",
    "Gaillard",
    "Philippe",
    "Lacroix",
    "Dupuis",
    "Olivier",
    "Louis",
    "Charpentier",
    "Moulin",
    "Guillaume",
    "Rivière",
    "Lefèbvre",
    "Hélié",
    "Œuvray",
    "Besançon",
    "Pâris",
    "Câmara",
    "Élie",
    "Ménard",
    "Trémolières",
    "Lœwenbruck",
]
FIRST_NAMES = [
    "Hélène",
    "Françoise",
    "Zoé",
    "Chloé",
    "Léa",
    "Anaïs",
    "Mélanie",
    "Noémie",
    "Clémence",
    "Agnès",
    "Maëlle",
    "Cécile",
    "Valérie",
    "Sébastien",
    "Jérôme",
    "Frédéric",
    "Stéphane",
    "Gaël",
    "Loïc",
    "Raphaël",
    "Benoît",
    "Joël",
    "Noël",
    "Aurélien",
    "Grégoire",
    "Marie",
    "Camille",
    "Julie",
    "Sophie",
    "Nathalie",
    "Isabelle",
    "Sandrine",
    "Christine",
    "Sylvie",
    "Laurence",
    "Claire",
    "Pierre",
    "Jean",
    "Nicolas",
    "Thomas",
    "Julien",
    "David",
    "Olivier",
    "Philippe",
    "Christophe",
    "Laurent",
    "Éric",
    "Michel",
    "Ève",
    "Inès",
    "Maïwenn",
    "Gaëtan",
    "Hervé",
    "Josée",
    "Renée",
    "Irène",
    "Thérèse",
    "Béatrice",
    "Véronique",
    "Andrée",
]
DIRECTIONS = [
    "Direction des services techniques",
    "Direction de l’éducation et de l’enfance",
    "Direction des ressources humaines",
    "Direction de la culture et du patrimoine",
    "Direction des sports",
    "Direction de la solidarité et de la santé",
    "Direction des finances et de la commande publique",
    "Direction générale des services",
]
SERVICES = [
    "Voirie",
    "Espaces verts",
    "Bâtiments",
    "Accueil et état civil",
    "Restauration scolaire",
    "Prévention",
]
SECTORS = ["Propreté", "Secteur nord", "Secteur sud", "Atelier", "Régie", "Équipe mobile", "Pôle"]
SITES = [
    ("HDV", "Hôtel de ville"),
    ("CTM", "Centre technique municipal"),
    ("MED", "Médiathèque Émile-Zola"),
    ("PIS", "Piscine des Pâquerettes"),
    ("CCA", "Cuisine centrale"),
    ("CCAS", "Centre communal d’action sociale"),
    ("DEP", "Dépôt nord"),
    ("GYM", "Gymnase Léo-Lagrange"),
]
JOBS = [
    "Agent d’entretien",
    "Agente de propreté",
    "Jardinier",
    "Chargée d’accueil",
    "Cuisinier",
    "Assistante administrative",
    "Chef d’équipe",
    "Éducateur sportif",
    "Bibliothécaire",
    "Gestionnaire RH",
    "Technicien bâtiment",
    "Auxiliaire de puériculture",
]
HEADER = (
    "Matricule;Nom;Prénom;Email;Service;Site;Fonction;Date d'arrivée;Date de départ;"
    "Poste informatique;Compte intranet"
)


def ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe"))
    return "".join(ch for ch in text if ch.isalnum() and ord(ch) < 128).lower()


def unit_paths() -> list[str]:
    paths = []
    for direction in DIRECTIONS:
        for service in SERVICES:
            for sector in SECTORS:
                paths.append(f"{direction} > {service} > {sector}")
    return paths  # 8 + 48 + 336 = 392 units


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    paths = unit_paths()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="cp1252", newline="") as out:
        out.write(HEADER + "\r\n")
        for i in range(rows):
            last = rng.choice(LAST_NAMES)
            first = rng.choice(FIRST_NAMES)
            field_agent = rng.random() < 0.35
            arrival = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1985, 2025)}"
            departure = "" if rng.random() < 0.97 else f"2027-{rng.randint(1, 12):02d}-15"
            email = "" if field_agent else f"{ascii_slug(first)}.{ascii_slug(last)}{i}@valmont.fr"
            out.write(
                ";".join(
                    [
                        f"M{i + 100000:06d}",
                        last,
                        first,
                        email,
                        rng.choice(paths),
                        rng.choice(SITES)[rng.randint(0, 1)],
                        rng.choice(JOBS),
                        arrival,
                        departure,
                        "non" if field_agent else "oui",
                        "non" if field_agent and rng.random() < 0.6 else "oui",
                    ]
                )
                + "\r\n"
            )
    tmp.replace(path)


def changed_copy(source: Path, target: Path) -> None:
    """The same directory with every job title changed: a re-import that updates every agent."""
    with (
        open(source, encoding="cp1252", newline="") as lines,
        open(target, "w", encoding="cp1252", newline="") as out,
    ):
        out.write(next(lines))
        for line in lines:
            cells = line.split(";")
            cells[6] += " (intérim)"
            out.write(";".join(cells))


def environment(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-only-secret-key")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["LOG_LEVEL"] = "ERROR"
    env["PYTHONPATH"] = str(ROOT)
    if database == "postgres":
        env["DATABASE_URL"] = env.get("BENCH_DATABASE_URL", POSTGRES_URL)
    else:
        env.pop("DATABASE_URL", None)
        env["RELAIS_VAR_DIR"] = str(DATA / "var-sqlite")
    return env


def fresh_database(database: str, env: dict[str, str]) -> None:
    """An empty, migrated database: the bench never runs against the development data."""
    if database == "postgres":
        from urllib.parse import urlparse

        import psycopg

        url = urlparse(env["DATABASE_URL"])
        name = url.path.lstrip("/")
        admin = url._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        db = Path(env["RELAIS_VAR_DIR"]) / "relais.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"],
        env=env,
        check=True,
    )


def child(args: argparse.Namespace) -> None:
    """One import in this process; prints one JSON line with its measurements."""
    import tracemalloc

    import django

    if args.tracemalloc:
        tracemalloc.start()
    django.setup()
    from ambassadors.models import Organization, Site
    from ambassadors.services.directory import directory_import

    organization, created = Organization.objects.get_or_create(
        slug=args.org, defaults={"name": f"Bench {args.org}"}
    )
    if created:
        Site.objects.bulk_create(
            Site(organization=organization, code=code, name=name) for code, name in SITES
        )
    start = time.perf_counter()
    result = directory_import(organization=organization, source=args.file)
    wall = time.perf_counter() - start
    peak_heap = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "wall": wall,
                "rows": result.total_rows,
                "rss_mb": max_rss_mb,
                "heap_mb": peak_heap,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
            }
        )
    )


def run_child(args: argparse.Namespace, env: dict[str, str], org: str, file: Path) -> dict:
    command = [sys.executable, __file__, "--child", "--org", org, "--file", str(file)]
    if args.tracemalloc:
        command.append("--tracemalloc")
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(label: str, m: dict) -> None:
    heap = f", heap peak {m['heap_mb']:.0f} MB" if m.get("heap_mb") is not None else ""
    print(
        f"  {label:<9} {m['wall']:6.2f} s  {m['rows'] / m['wall']:8.0f} rows/s  "
        f"max RSS {m['rss_mb']:5.0f} MB{heap}  "
        f"(created {m['created']}, updated {m['updated']}, unchanged {m['unchanged']}, "
        f"rejected {m['rejected']})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    DATA.mkdir(parents=True, exist_ok=True)
    file = DATA / f"directory-{args.rows}-seed{args.seed}.csv"
    if not file.exists():
        start = time.perf_counter()
        generate(file, args.rows, args.seed)
        print(f"generated {file} in {time.perf_counter() - start:.1f} s")
    changed = file.with_name(file.stem + "-changed.csv")
    if not changed.exists():
        changed_copy(file, changed)
    env = environment(args.database)
    print(f"database: {args.database}; fresh database, migrating…", flush=True)
    fresh_database(args.database, env)
    print(f"{args.rows} rows, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    results: dict[str, list[dict]] = {"import": [], "reimport": [], "update": []}
    files = {"import": file, "reimport": file, "update": changed}
    for i in range(args.repeat):
        org = f"bench-{i + 1}"
        print(f"run {i + 1}/{args.repeat} (organization {org})")
        for phase, phase_file in files.items():
            measure = run_child(args, env, org, phase_file)
            show(phase, measure)
            results[phase].append(measure)
    print("median:")
    for phase, measures in results.items():
        wall = statistics.median(m["wall"] for m in measures)
        rss = statistics.median(m["rss_mb"] for m in measures)
        target_s, target_mb = TARGETS[phase]
        over = (target_s is not None and wall > target_s) or rss > target_mb
        target = f"≤ {target_s:.0f} s, " if target_s is not None else ""
        verdict = "OVER TARGET" if over else "ok"
        if args.tracemalloc:
            verdict = "tracemalloc on: times and RSS inflated, not comparable"
        print(
            f"  {phase:<9} {wall:6.2f} s  {args.rows / wall:8.0f} rows/s  max RSS {rss:5.0f} MB"
            f"   (target {target}≤ {target_mb:.0f} MB: {verdict})"
        )


if __name__ == "__main__":
    main()
