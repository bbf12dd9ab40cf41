"""Benchmark ``sanctiongraph screen``: speed, recall and false positives.

    python bench/screening.py [--lists DIR] [--names 100000] [--seed 7]

Imports the full SDN list (legacy CSV, with aliases) with the import library, makes
``--names`` names to screen: half perturbed real names (typos, dropped letters, swapped
word order, legal-form changes, transliteration variants, case and punctuation; a name
may get two of these) and half made-up names (syllable words, first and last names,
business words and legal forms), screens them all, and prints the time with the recall
(a perturbed name finds the entry it came from) and the false-positive rate (a made-up
name matches anything) at several thresholds. The target is <= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections import Counter
from pathlib import Path

from sanctiongraph.screening import DEFAULT_THRESHOLD, Subject, read_lists, screen

SDN = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "ofac-sdn-csv-2021-set"
THRESHOLDS = (0.80, 0.85, DEFAULT_THRESHOLD, 0.92)
LEGAL = [
    "LLC",
    "JSC",
    "Co Ltd",
    "OJSC",
    "PJSC",
    "LTD",
    "SA",
    "AG",
    "GmbH",
    "Inc.",
    "Limited",
    "Co., Ltd.",
    "S.A.",
    "Corporation",
]
VARIANTS = [
    ("y", "i"),
    ("i", "y"),
    ("ou", "u"),
    ("u", "ou"),
    ("kh", "h"),
    ("h", "kh"),
    ("ee", "i"),
    ("ph", "f"),
    ("mm", "m"),
    ("ei", "ey"),
    ("ey", "ei"),
    ("j", "dj"),
]
FIRST = [
    "james",
    "john",
    "robert",
    "michael",
    "william",
    "david",
    "richard",
    "joseph",
    "thomas",
    "charles",
    "mary",
    "patricia",
    "jennifer",
    "linda",
    "elizabeth",
    "barbara",
    "susan",
    "jessica",
    "sarah",
    "karen",
    "emma",
    "olivia",
    "sophie",
    "lukas",
    "jonas",
    "felix",
    "marta",
    "agnieszka",
    "piotr",
    "tomasz",
    "giulia",
    "matteo",
    "chiara",
    "pierre",
    "camille",
]
LAST = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "wilson",
    "anderson",
    "taylor",
    "thomas",
    "moore",
    "jackson",
    "martin",
    "thompson",
    "white",
    "harris",
    "clark",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "green",
    "baker",
    "adams",
    "nelson",
    "hill",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "novak",
    "kowalski",
    "rossi",
    "bianchi",
    "dubois",
    "lambert",
    "schneider",
    "fischer",
    "weber",
]
BUSINESS = [
    "widget",
    "logistics",
    "consulting",
    "solutions",
    "partners",
    "bakery",
    "design",
    "studio",
    "systems",
    "analytics",
    "foods",
    "textiles",
    "furniture",
    "software",
    "media",
    "marine",
    "farms",
    "dental",
    "properties",
    "realty",
    "travel",
    "outfitters",
    "garden",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ven",
    "to",
    "sel",
    "dar",
    "nia",
    "bor",
    "ith",
    "qua",
    "zen",
    "ple",
    "mar",
    "tos",
    "fen",
    "gri",
    "ul",
    "vo",
]


def perturb(name: str, rng: random.Random) -> tuple[str, str]:
    """``name`` changed in one way (sometimes two), and what was done."""
    kinds = rng.sample(
        ["typo", "drop", "order", "legal", "translit", "case"], k=rng.choice((1, 1, 2))
    )
    for kind in kinds:
        words = name.split()
        if kind == "typo" and len(name) > 4:
            i = rng.randrange(1, len(name))
            if name[i].isalpha():
                name = name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i + 1 :]
        elif kind == "drop" and len(name) > 4:
            i = rng.randrange(1, len(name))
            name = name[:i] + name[i + 1 :]
        elif kind == "order" and len(words) > 1:
            rng.shuffle(words)
            name = " ".join(words)
        elif kind == "legal":
            plain = [
                w for w in words if w.upper().strip(".,") not in {x.upper() for x in LEGAL}
            ] or words
            name = " ".join(plain) + " " + rng.choice(LEGAL)
        elif kind == "translit":
            options = [(a, b) for a, b in VARIANTS if a in name.lower()]
            if options:
                a, b = rng.choice(options)
                name = name.lower().replace(a, b, 1)
        elif kind == "case":
            name = rng.choice([name.lower(), name.title(), name.upper()])
            name = name.replace(" ", rng.choice([" ", ", ", " - ", ". "]), 1)
    return name, "+".join(kinds)


def made_up(rng: random.Random) -> str:
    """A name that names no one: a person, or a business of invented and common words."""
    shape = rng.randrange(3)
    if shape == 0:
        return f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}"
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).title()
    if shape == 1:
        return f"{word} {rng.choice(BUSINESS).title()} {rng.choice(LEGAL)}"
    return f"{rng.choice(LAST).title()} {word} {rng.choice(BUSINESS).title()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lists", type=Path, default=SDN)
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    start = time.perf_counter()
    entries = read_lists([args.lists])
    read = time.perf_counter() - start
    names = sum(len(e.names) for e in entries)
    print(
        f"lists: {len(entries)} entries, {names} names with aliases, read in {read:.1f} s "
        f"({os.cpu_count()} cores)"
    )

    pairs = [(e, n) for e in entries for n in e.names]
    subjects, truth, how = [], {}, {}
    for i in range(args.names):
        if i % 2 == 0:
            entry, name = rng.choice(pairs)
            changed, kinds = perturb(name, rng)
            subjects.append(Subject(f"p{i}", changed))
            truth[i], how[i] = entry.entry, kinds
        else:
            subjects.append(Subject(f"m{i}", made_up(rng)))

    for threshold in (DEFAULT_THRESHOLD, min(THRESHOLDS)):
        start, cpu = time.perf_counter(), time.process_time()
        results = screen(subjects, entries, threshold)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        verdict = "met" if took <= 30 else "MISSED"
        print(
            f"screen {len(subjects)} names at threshold {threshold}: {took:.1f} s wall, "
            f"{cpu:.1f} s CPU, load {os.getloadavg()[0]:.1f} (target <= 30 s: {verdict})"
        )

    perturbed = [i for i in range(len(subjects)) if i in truth]
    invented = [i for i in range(len(subjects)) if i not in truth]
    print("threshold  recall (perturbed real)  false positives (made-up)  matches/name")
    for threshold in THRESHOLDS:
        hits = sum(
            any(m.entry == truth[i] and m.score >= threshold for m in results[i]) for i in perturbed
        )
        false = sum(any(m.score >= threshold for m in results[i]) for i in invented)
        per = sum(sum(m.score >= threshold for m in r) for r in results) / len(results)
        print(
            f"{threshold:9.2f}  {hits / len(perturbed):23.1%}  {false / len(invented):25.2%}"
            f"  {per:12.2f}"
        )
    missed = Counter(
        how[i]
        for i in perturbed
        if not any(m.entry == truth[i] and m.score >= DEFAULT_THRESHOLD for m in results[i])
    )
    total = Counter(how[i] for i in perturbed)
    print(
        f"recall by change at {DEFAULT_THRESHOLD}: "
        + ", ".join(
            f"{k} {1 - missed[k] / n:.0%}" for k, n in sorted(total.items()) if "+" not in k
        )
    )
    two = sum(n for k, n in total.items() if "+" in k)
    two_missed = sum(n for k, n in missed.items() if "+" in k)
    print(f"recall with two changes at {DEFAULT_THRESHOLD}: {1 - two_missed / two:.0%}")
    examples = [i for i in invented if results[i] and results[i][0].score >= DEFAULT_THRESHOLD]
    if examples:
        print(
            "made-up names that matched, e.g.:",
            "; ".join(
                f"{subjects[i].name!r} -> {results[i][0].matched_name!r} ({results[i][0].score})"
                for i in examples[:5]
            ),
        )


if __name__ == "__main__":
    main()
