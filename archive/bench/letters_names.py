"""Russian names for the evaluation letters and the synthetic population: given names with
their patronymics, surnames with their feminine forms, and the ways Russian names are written
in the Latin alphabet.

The lists are common Russian names written from general knowledge (no external data): 24 men's
and 22 women's given names, 150 surnames. Romanisations follow the three systems seen in
signature lists: the passport's (ICAO, since 2013: Dmitrii, Evgenii, Iuliia), BGN/PCGN's
(Dmitriy, Yevgeniy, Yuliya), and the popular English spellings (Dmitry, Evgeny, Alexander).
"""

# Cyrillic words are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

# A man's given name, then the patronymic it gives a son and a daughter.
MEN = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
)
WOMEN = (
    "Александра", "Алина", "Анастасия", "Анна", "Валерия", "Виктория", "Дарья", "Евгения",
    "Екатерина", "Елена", "Ирина", "Ксения", "Людмила", "Мария", "Марина", "Наталья", "Ольга",
    "Полина", "Светлана", "Софья", "Татьяна", "Юлия",
)  # fmt: skip
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв",
    "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов",
    "Пономарёв", "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв",
    "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров",
    "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов",
    "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков",
    "Горбунов", "Анисимов", "Ерёмин", "Тихомиров", "Галкин", "Лукьянов", "Михеев", "Скворцов",
    "Юдин", "Белоусов", "Нестеров", "Симонов", "Прокофьев", "Харитонов", "Князев", "Цветков",
    "Левин", "Митрофанов", "Воронцов", "Звягинцев", "Рыбаков", "Добрынин", "Островский",
    "Вишневский", "Шевченко", "Бондаренко", "Черных", "Седых", "Толстой", "Ложкин",
)  # fmt: skip

# The popular English spellings of given names, where they are not a plain transliteration.
POPULAR = {
    "Александр": "Alexander", "Алексей": "Alexey", "Максим": "Maxim", "Ксения": "Ksenia",
    "Юлия": "Julia", "Наталья": "Natalia", "Татьяна": "Tatiana", "Мария": "Maria",
    "Софья": "Sofia", "Дарья": "Daria", "Виктория": "Victoria", "Александра": "Alexandra",
    "Пётр": "Pyotr", "Артём": "Artem", "Фёдор": "Fyodor",
}  # fmt: skip

# The passport's system (ICAO Doc 9303, used in Russian passports since 2013).
PASSPORT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
# BGN/PCGN: й is y, ю yu, я ya, ё yo, е ye at the start of a word and after a vowel.
BGN = {**PASSPORT, "ё": "yo", "й": "y", "ъ": "", "ю": "yu", "я": "ya"}
SYSTEMS = ("passport", "bgn", "popular")
VOWELS = "аеёиоуыэюяъь"


def feminine(surname: str) -> str:
    """Return the form of a surname a woman bears: Иванов → Иванова, Островский → Островская,
    Толстой → Толстая; Шевченко and Черных do not change."""
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ой", "ый")):
        return surname[:-2] + "ая"
    return surname


def iotated(before: str, system: str) -> bool:
    """Tell whether е, after the letters ``before`` it, is written "ye": after ь or ъ but in
    the passport's system (Grigoryev), and in BGN's at the start and after a vowel too."""
    if system == "passport":
        return False
    if before[-1:] in ("ь", "ъ") and before:
        return True
    return system == "bgn" and (not before or before[-1] in VOWELS)


def romanise(word: str, system: str) -> str:
    """Return a Cyrillic word in the Latin alphabet by one of :data:`SYSTEMS`: "passport"
    (Дмитрий: Dmitrii, Григорьев: Grigorev), "bgn" (Dmitriy, Yevgeniy, Grigoryev) or "popular"
    (Dmitry, Evgeny, Grigoryev, and the English spellings of :data:`POPULAR`)."""
    if system == "popular" and word in POPULAR:
        return POPULAR[word]
    lower = word.lower()
    table = PASSPORT if system == "passport" else BGN
    letters = []
    for place, letter in enumerate(lower):
        if letter == "е" and iotated(lower[:place], system):
            letters.append("ye")
        elif letter == "ь":
            letters.append("")
        else:
            letters.append(table.get(letter, letter))
    latin = "".join(letters)
    if system == "popular" and lower.endswith(("ий", "ый")):
        latin = latin[:-2] + "y"
    return latin[:1].upper() + latin[1:]
