"""A deterministic synthetic corpus, as JSON import documents, for benchmarking the archive.

Every name, district, source and statement here is **fake**: surnames are built from the
prefixes "Testov", "Primerov", "Obraztsov", "Fiktivov", "Maketov" and "Shablonov" (Тестов,
Примеров, Образцов, Фиктивов, Макетов, Шаблонов) joined to made-up syllables, districts are made
of syllables with "-sk" and "-ovo" endings, and URLs point at ``example.org``. Statement texts
are random sequences of real Russian and English words (with inflected forms such as отставка,
отставки, отставку and resign, resigned, resignation, so that stemming has work to do); they mean
nothing.

The corpus depends only on the size and the seed: :class:`random.Random` seeded with strings
(hashed with SHA-512, not Python's randomised ``hash``), no clock, no dict or set order that
could vary. The same size and seed give identical bytes.

Sizes: S has 1,000 statements, M 20,000 and L 100,000, with ten signatures per statement on
average (L: 1,000,000 signatures), spread by a capped power law. :func:`write` streams the
statements to the file, so L never holds the whole document in memory.
"""

# Cyrillic words are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, TextIO

from archive.bench.corpus_words import CONNECTORS_EN, CONNECTORS_RU, WORDS_EN, WORDS_RU
from archive.data import vocab

FORMAT = "dissent-archive/1"
SIZES = {"S": 1_000, "M": 20_000, "L": 100_000}
STATEMENTS_PER_FILE = 20_000  # statements in one import document (M: about 120 MB)
SIGNATURES_PER_STATEMENT = 10
REGIONS = 80

# Transliteration schemes for the Latin names: the display name and two other spellings.
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_FRENCH = {**_COMMON, "ж": "j", "х": "kh", "ч": "tch", "ш": "ch", "щ": "chtch", "й": "i",
           "ю": "iou", "я": "ia", "у": "ou", "ё": "io"}  # fmt: skip
_GERMAN = {**_COMMON, "ж": "sch", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch",
           "в": "w", "й": "j", "ю": "ju", "я": "ja", "з": "s", "ё": "jo"}  # fmt: skip
SCHEMES = (_COMMON, _FRENCH, _GERMAN)

FIRST_NAMES = (
    "Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Михаил", "Николай", "Андрей", "Юрий",
    "Владимир", "Григорий", "Евгений", "Кирилл", "Максим", "Олег", "Павел", "Роман", "Фёдор",
    "Анна", "Мария", "Ксения", "Елена", "Ольга", "Татьяна", "Наталья", "Юлия", "Дарья",
    "Екатерина", "Людмила", "Вера", "Надежда", "Любовь", "Софья", "Жанна", "Зинаида", "Яна",
)  # fmt: skip
FEMALE = frozenset(FIRST_NAMES[18:])
SURNAME_ROOTS = ("Тест", "Пример", "Образц", "Фиктив", "Макет", "Шаблон")
SURNAME_MIDDLES = ("", "ин", "ан", "ел", "ор", "уш", "ич", "яр", "ез", "ох", "юк", "аш")
SURNAME_ENDINGS = (("ов", "ова"), ("ев", "ева"), ("ин", "ина"), ("ский", "ская"))
PLACE_SYLLABLES = (
    "ка", "ро", "ми", "ла", "во", "зе", "ну", "те", "бо", "ря", "жу", "ша", "ле", "ти", "ха",
    "го", "ду", "ки", "ны", "па", "са", "цы", "чо", "щи", "юр", "яс",
)  # fmt: skip
REGION_SUFFIXES = (("ская область", "Oblast"), ("ский край", "Krai"))
DISTRICT_SUFFIX = ("ский район", "District")
OKRUG_SUFFIX = ("ское", "")
TOWN_SUFFIX = ("ово", "")

TITLES = {
    "ru": (
        "Обращение депутатов с требованием отставки президента",
        "Открытое письмо против войны",
        "Заявление муниципального совета о мобилизации",
        "Требование освободить политических заключённых",
        "Решение совета об импичменте",
        "Обращение жителей к депутатам",
    ),
    "en": (
        "Deputies demand the president's resignation",
        "Open letter against the war",
        "Municipal council statement on mobilisation",
        "Demand to release political prisoners",
        "Council resolution calling for impeachment",
        "Residents appeal to their deputies",
    ),
}
DEMANDS = (
    "resignation", "impeachment", "treason_charges", "end_war", "release_prisoners",
    "free_elections",
)  # fmt: skip
ADDRESSEES = ("Vladimir Putin", "the State Duma", "the Federation Council", "the Governor", None)
ROLES = (
    "municipal deputy", "municipal deputy", "municipal deputy", "head of municipality",
    "deputy chair of the council", "regional deputy", "teacher", "doctor", "lawyer",
)  # fmt: skip
PUBLISHERS = ("Example News", "Testovye Vesti", "Primer Daily", "Sample Gazette", "Maket Post")
SOCIAL = ("Twitter", "VK", "Telegram", "Facebook")
STATEMENT_KINDS = (("open_letter", 30), ("petition", 25), ("resolution", 15), ("appeal", 15),
                   ("statement", 12), ("other", 3))  # fmt: skip
EVENT_KINDS = tuple(kind for kind in vocab.EVENT_KINDS if kind != "other")
EVENTS_PER_SIGNATURE = 0.01


@dataclass
class Counts:
    """How many records of each kind a corpus holds."""

    districts: int = 0
    people: int = 0
    sources: int = 0
    statements: int = 0
    signatures: int = 0
    events: int = 0
    translations: int = 0
    withdrawn: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict."""
        return dict(self.__dict__)


@dataclass
class _Plan:
    """What the statements are drawn from: districts, people, signature counts."""

    seed: int
    districts: list[dict[str, Any]]
    people: list[dict[str, Any]]
    homes: list[str]  # each person's district key
    signature_counts: list[int]
    counts: Counts = field(default_factory=Counts)


def targets(size: str, statements: int | None = None) -> tuple[int, int]:
    """Return (statements, signatures) for a size, or for an explicit number of statements."""
    if statements is None:
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}: use one of {', '.join(SIZES)}")
        statements = SIZES[size]
    if statements < 1:
        raise ValueError("a corpus needs at least one statement")
    return statements, statements * SIGNATURES_PER_STATEMENT


def generate(size: str, seed: int = 1, statements: int | None = None) -> dict[str, Any]:
    """Return the whole corpus as one JSON import document (for S, M and small sizes)."""
    plan = _plan(size, seed, statements)
    sources: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    statement_list = list(_statements(plan, sources, events))
    return {
        "format": FORMAT,
        "districts": plan.districts,
        "people": plan.people,
        "statements": statement_list,
        "sources": sources,
        "events": events,
    }


def write(
    path: Path, size: str, seed: int = 1, statements: int | None = None
) -> tuple[Counts, list[Path]]:
    """Write the corpus as JSON import documents, statement by statement; return its counts
    and the files written, to be imported together.

    ``path`` holds the districts, the people and the first STATEMENTS_PER_FILE statements;
    further statements go to ``<stem>.2.json``, ``<stem>.3.json`` and so on, so that no file
    reaches the importer's limit (size L is 600 MB of JSON). The sources and events the
    statements cite close the last file.
    """
    plan = _plan(size, seed, statements)
    sources: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    files = [path]
    every = _statements(plan, sources, events)
    out = path.open("w", encoding="utf-8", newline="\n")
    try:
        out.write(f'{{"format": "{FORMAT}",\n')
        _write_list(out, "districts", iter(plan.districts))
        out.write(",\n")
        _write_list(out, "people", iter(plan.people))
        out.write(",\n")
        _write_list(out, "statements", islice(every, STATEMENTS_PER_FILE))
        while (following := next(every, None)) is not None:
            out.write("}\n")
            out.close()
            files.append(path.with_name(f"{path.stem}.{len(files) + 1}{path.suffix}"))
            out = files[-1].open("w", encoding="utf-8", newline="\n")
            out.write(f'{{"format": "{FORMAT}",\n')
            rest = islice(every, STATEMENTS_PER_FILE - 1)
            _write_list(out, "statements", chain([following], rest))
        out.write(",\n")
        _write_list(out, "sources", iter(sources))
        out.write(",\n")
        _write_list(out, "events", iter(events))
        out.write("}\n")
    finally:
        out.close()
    return plan.counts, files


def counts_of(document: dict[str, Any]) -> Counts:
    """Count the records of a document made by :func:`generate`."""
    statements = document["statements"]
    return Counts(
        districts=len(document["districts"]),
        people=len(document["people"]),
        sources=len(document["sources"]),
        statements=len(statements),
        signatures=sum(len(s["signatures"]) for s in statements),
        events=len(document["events"]),
        translations=sum(len(s.get("translations", [])) for s in statements),
        withdrawn=sum(
            1 for s in statements for sig in s["signatures"] if sig["stance"] == "withdrawn"
        ),
    )


def _write_list(out: TextIO, name: str, items: Iterator[dict[str, Any]]) -> None:
    out.write(f'"{name}": [')
    first = True
    for item in items:
        out.write("\n" if first else ",\n")
        out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        first = False
    out.write("\n]")


# The plan: districts, people and how many signatures each statement gets.


def _plan(size: str, seed: int, statements: int | None) -> _Plan:
    n_statements, n_signatures = targets(size, statements)
    rng = random.Random(f"corpus:{seed}:plan")
    regions = REGIONS if statements is None else min(REGIONS, max(5, n_statements // 10))
    districts = _districts(rng, regions)
    leaves = [d["key"] for d in districts if d["kind"] in ("municipal_okrug", "town")]
    n_people = max(200, n_signatures // 10)
    names = {d["key"]: d["name"] for d in districts}
    people, homes = _people(rng, n_people, leaves, names)
    cap = min(n_people, max(50, n_signatures // 50), 5_000)
    counts = _signature_counts(rng, n_statements, n_signatures, cap)
    plan = _Plan(seed, districts, people, homes, counts)
    plan.counts.districts = len(districts)
    plan.counts.people = len(people)
    return plan


def _latin(cyrillic: str, scheme: dict[str, str] = _COMMON) -> str:
    out = []
    for char in cyrillic:
        lower = char.lower()
        if lower in scheme:
            latin = scheme[lower]
            out.append(latin.capitalize() if char != lower else latin)
        else:
            out.append(char)
    return "".join(out)


def _slug(text: str) -> str:
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words)


def _unique(base: str, taken: set[str]) -> str:
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key)
    return key


def _place_root(rng: random.Random) -> str:
    root = "".join(rng.choice(PLACE_SYLLABLES) for _ in range(rng.randint(2, 3)))
    return root.capitalize()


def _districts(rng: random.Random, regions: int) -> list[dict[str, Any]]:
    """Return a country > regions > districts > municipal okrugs and towns tree (fake names)."""
    districts: list[dict[str, Any]] = [
        {"key": "ru", "name": "Russia", "kind": "country", "names": {"ru": "Россия"}}
    ]
    region_keys: set[str] = set()
    for index in range(regions):
        root = _place_root(rng)
        federal = index < 3
        if federal:
            ru_name, en_name, kind = f"{root}град", f"{_latin(root)}grad", "federal_city"
        else:
            ru_suffix, en_suffix = REGION_SUFFIXES[index % 7 == 0]
            ru_name, en_name, kind = f"{root}{ru_suffix}", f"{_latin(root)}sk {en_suffix}", "region"
        region_key = "ru/" + _unique(_slug(_latin(root)), region_keys)
        region: dict[str, Any] = {
            "key": region_key,
            "name": en_name,
            "kind": kind,
            "parent": "ru",
            "names": {"ru": ru_name},
        }
        if rng.random() < 0.3:
            region["aliases"] = [_latin(ru_name.split()[0], _GERMAN)]
        districts.append(region)
        if federal:
            districts += _leaves(rng, region_key, rng.randint(15, 40), only_okrugs=True)
            continue
        district_keys: set[str] = set()
        for _ in range(rng.randint(5, 15)):
            root = _place_root(rng)
            key = f"{region_key}/{_unique(_slug(_latin(root)) + 'sky', district_keys)}"
            districts.append(
                {
                    "key": key,
                    "name": f"{_latin(root)}sky {DISTRICT_SUFFIX[1]}",
                    "kind": "district",
                    "parent": region_key,
                    "names": {"ru": f"{root}{DISTRICT_SUFFIX[0]}"},
                }
            )
            districts += _leaves(rng, key, rng.randint(1, 5), only_okrugs=False)
    return districts


def _leaves(rng: random.Random, parent: str, n: int, only_okrugs: bool) -> list[dict[str, Any]]:
    leaves: list[dict[str, Any]] = []
    taken: set[str] = set()
    for _ in range(n):
        root = _place_root(rng)
        town = not only_okrugs and rng.random() < 0.5
        ru_name = root + (TOWN_SUFFIX[0] if town else OKRUG_SUFFIX[0])
        en_name = _latin(ru_name)
        leaves.append(
            {
                "key": f"{parent}/{_unique(_slug(en_name), taken)}",
                "name": en_name,
                "kind": "town" if town else "municipal_okrug",
                "parent": parent,
                "names": {"ru": ru_name},
            }
        )
    return leaves


def _people(
    rng: random.Random, n: int, leaves: list[str], names: dict[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return fake people, each with a Cyrillic name, a Latin name and other spellings."""
    people: list[dict[str, Any]] = []
    homes: list[str] = []
    taken: set[str] = set()
    for _ in range(n):
        first = rng.choice(FIRST_NAMES)
        female = first in FEMALE
        ending = rng.choice(SURNAME_ENDINGS)[female]
        surname = rng.choice(SURNAME_ROOTS) + rng.choice(SURNAME_MIDDLES) + ending
        cyrillic = f"{first} {surname}"
        latin = _latin(cyrillic)
        aliases = []
        for scheme in rng.sample(SCHEMES[1:], rng.randint(1, 2)):
            variant = _latin(cyrillic, scheme)
            if variant != latin and variant not in aliases:
                aliases.append(variant)
        if not aliases or rng.random() < 0.2:  # every person has another spelling
            aliases.append(f"{_latin(surname)} {latin[0]}.")
        home = rng.choice(leaves)
        person: dict[str, Any] = {
            "key": _unique(_slug(latin), taken),
            "name": latin,
            "names": {"ru": cyrillic},
        }
        if aliases:
            person["aliases"] = aliases
        if rng.random() < 0.5:
            person["description"] = f"Municipal deputy in {names[home]} (a synthetic, fake person)."
        people.append(person)
        homes.append(home)
    return people, homes


def _signature_counts(rng: random.Random, n: int, total: int, cap: int) -> list[int]:
    """Return ``n`` counts between 1 and ``cap`` from a capped Pareto law, summing to ``total``."""
    total = min(max(total, n), n * cap)
    weights = [min(rng.paretovariate(1.1), 1_000.0) for _ in range(n)]
    scale = total / sum(weights)
    counts = [min(cap, max(1, int(w * scale))) for w in weights]
    missing = total - sum(counts)
    while missing:
        index = rng.randrange(n)
        step = 1 if missing > 0 else -1
        if 1 <= counts[index] + step <= cap:
            counts[index] += step
            missing -= step
    return counts


# Statements, with the sources and events they bring.


def _date(rng: random.Random) -> tuple[str, tuple[int, int, int]]:
    year, month, day = rng.randint(2014, 2024), rng.randint(1, 12), rng.randint(1, 28)
    precision = rng.random()
    if precision < 0.6:
        return f"{year}-{month:02d}-{day:02d}", (year, month, day)
    if precision < 0.9:
        return f"{year}-{month:02d}", (year, month, day)
    return f"{year}", (year, month, day)


def _later(rng: random.Random, when: tuple[int, int, int]) -> str:
    year, month, _day = when
    month += rng.randint(1, 6)
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def _text(rng: random.Random, language: str, words: int) -> str:
    vocabulary, connectors = (
        (WORDS_RU, CONNECTORS_RU) if language == "ru" else (WORDS_EN, CONNECTORS_EN)
    )
    paragraphs, sentences, sentence, written = [], [], [], 0
    while written < words:
        length = rng.randint(6, 18)
        sentence = [
            rng.choice(connectors) if rng.random() < 0.3 else rng.choice(vocabulary)
            for _ in range(length)
        ]
        sentence[0] = sentence[0][0].upper() + sentence[0][1:]
        sentences.append(" ".join(sentence) + ".")
        written += length
        if len(sentences) >= rng.randint(3, 6):
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def _sources_for(
    rng: random.Random, index: int, published: tuple[int, int, int]
) -> list[dict[str, Any]]:
    """Return a citation chain: a post or document, then news items each citing the one before."""
    year, month, day = published
    length = rng.choices((1, 2, 3, 4), weights=(30, 45, 20, 5))[0]
    chain: list[dict[str, Any]] = []
    root_kind = "social_media_post" if rng.random() < 0.8 else "official_document"
    for step in range(length):
        kind = root_kind if step == 0 else "news"
        key = f"src-{index:06d}-{step + 1}"
        publisher = rng.choice(SOCIAL) if kind == "social_media_post" else rng.choice(PUBLISHERS)
        host = _slug(publisher).replace("-", "")
        source: dict[str, Any] = {
            "key": key,
            "kind": kind,
            "url": f"https://{host}.example.org/{year}/{month:02d}/{key}",
            "publisher": publisher,
            "published": f"{year}-{month:02d}-{min(28, day + step):02d}",
        }
        if kind == "news":
            source["title"] = f"Report {index}-{step}: deputies sign a statement"
            source["author"] = f"{rng.choice(('A.', 'B.', 'V.', 'N.'))} Reporterov"
            source["accessed"] = f"{year + 1}-01-15"
        if chain:
            source["cites"] = chain[-1]["key"]
        if rng.random() < 0.05:
            source["capture"] = {"text": f"Captured text of {key}.\n"}
        chain.append(source)
    return chain


def _statements(
    plan: _Plan, sources: list[dict[str, Any]], events: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    counts = plan.counts
    n_people = len(plan.people)
    for index, n_signatures in enumerate(plan.signature_counts):
        rng = random.Random(f"corpus:{plan.seed}:statement:{index}")
        date, when = _date(rng)
        language = "ru" if rng.random() < 0.7 else "en"
        kind = rng.choices(
            [k for k, _ in STATEMENT_KINDS], weights=[w for _, w in STATEMENT_KINDS]
        )[0]
        key = f"{date[:4]}-{kind.replace('_', '-')}-{index:06d}"
        chain = _sources_for(rng, index, when)
        sources += chain
        news = [s["key"] for s in chain if s["kind"] == "news"] or [chain[-1]["key"]]
        signers = rng.sample(range(n_people), n_signatures)
        signatures = _signatures(rng, plan, events, (key, kind, when), signers, news)
        districts = sorted({plan.homes[p].rsplit("/", 1)[0] for p in signers[:5]})
        reported = n_signatures
        if rng.random() < 0.25:
            reported = n_signatures + rng.randint(1, 3 * n_signatures + 10)
        statement: dict[str, Any] = {
            "key": key,
            "title": rng.choice(TITLES[language]),
            "kind": kind,
            "date": date,
            "language": language,
            "text": _text(rng, language, max(40, int(rng.gauss(300, 90)))),
            "demands": rng.sample(DEMANDS, rng.randint(0, 3)),
            "reported_signatories": reported,
            "districts": districts,
            "sources": sorted(s["key"] for s in chain),
            "signatures": signatures,
        }
        addressee = rng.choice(ADDRESSEES)
        if addressee is not None:
            statement["addressee"] = addressee
        if rng.random() < 0.3:
            statement["summary"] = f"{n_signatures} named signatories ({reported} reported)."
        if rng.random() < 0.2:
            other = "en" if language == "ru" else "ru"
            statement["translations"] = [
                {
                    "language": other,
                    "text": _text(rng, other, max(40, int(rng.gauss(250, 60)))),
                    "translator": rng.choice(PUBLISHERS),
                    "source": rng.choice(news),
                }
            ]
            counts.translations += 1
        counts.statements += 1
        counts.signatures += len(signatures)
        counts.sources = len(sources)
        counts.events = len(events)
        yield statement


def _signatures(
    rng: random.Random,
    plan: _Plan,
    events: list[dict[str, Any]],
    statement: tuple[str, str, tuple[int, int, int]],
    signers: list[int],
    news: list[str],
) -> list[dict[str, Any]]:
    """Return a statement's signatures (key, kind and date given), adding any events that
    followed to ``events``; the random draws come in the same order as ever (same seed,
    same bytes)."""
    key, kind, when = statement
    counts = plan.counts
    signatures = []
    for position, person in enumerate(signers):
        stance = "signed"
        if kind == "resolution":
            stance = "voted_for" if rng.random() < 0.9 else "abstained"
        elif position == 0 and rng.random() < 0.5:
            stance = "authored"
        signature: dict[str, Any] = {
            "person": plan.people[person]["key"],
            "role": rng.choice(ROLES),
            "district": plan.homes[person],
            "stance": stance,
        }
        if rng.random() < 0.01:
            signature["stance"] = "withdrawn"
            signature["withdrawn"] = _later(rng, when)
            signature["withdrawal_source"] = rng.choice(news)
            signature["note"] = "Said the signature was added without consent."
            counts.withdrawn += 1
        if rng.random() < 0.2:
            signature["sources"] = [rng.choice(news)]
        signatures.append(signature)
        if rng.random() < EVENTS_PER_SIGNATURE:
            events.append(_event(rng, len(events), key, when, plan, person, signers, news))
    return signatures


def _event(
    rng: random.Random,
    number: int,
    statement: str,
    when: tuple[int, int, int],
    plan: _Plan,
    person: int,
    signers: list[int],
    news: list[str],
) -> dict[str, Any]:
    people = {plan.people[person]["key"]}
    if rng.random() < 0.2:
        people.add(plan.people[rng.choice(signers)]["key"])
    kind = rng.choice(EVENT_KINDS)
    return {
        "key": f"event-{number + 1:07d}",
        "kind": kind,
        "date": _later(rng, when),
        "statement": statement,
        "people": sorted(people),
        "description": f"Synthetic event: {kind.replace('_', ' ')}.",
        "sources": [rng.choice(news)],
    }
