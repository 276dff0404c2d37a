"""Generated names for the screening bench: a broker's clients and a sanctions list.

Clients come from the demo's countries with larger pools, middle names, double
surnames and patronymics, so that most of 100,000 names are distinct (a real broker's
are). The list imitates the mix of the official lists: Arabic names with their Arabic
script, Russian, Belarusian and Ukrainian names with their Cyrillic, Persian, Chinese
and Korean names with their original script, Latin American names, and companies;
aliases are transliteration variants, dates of birth are full, partial or missing.
"""

from __future__ import annotations

import random

from anyascii import anyascii

from app.demo.names import COUNTRY_WEIGHTS, POOLS
from app.screening.lists import ListedEntry


def _words(text: str) -> list[str]:
    return text.split()


_MORE_FIRST = {
    "GB": "James William Thomas Charlotte Olivia Daniel Grace Samuel Lucy Joseph Ella Henry "
          "Alice Edward Freya Matthew Ruby Benjamin Chloe Alexander Holly Ryan Megan Luke",
    "DE": "Paul Leon Emma Marie Ben Elias Anna Lea Tim Niklas Sarah Julia Moritz Laura "
          "Tobias Katharina Florian Johanna Stefan Sabine Uwe Birgit Dieter Monika",
    "FR": "Arthur Manon Jade Louise Nathan Lucas Emma Alice Théo Juliette Antoine Camille "
          "Mathis Clara Maxime Pauline Nicolas Élise Quentin Margaux",
    "ES": "Pablo Carmen Laura Daniel Alejandro Lucas Elena Adrián Ana Diego Irene Carlos "
          "Cristina Raúl Beatriz Miguel Rocío Manuel Pilar Antonio",
    "PL": "Piotr Anna Krzysztof Katarzyna Andrzej Ewa Marcin Joanna Łukasz Magdalena "
          "Grzegorz Barbara Mateusz Aleksandra Szymon Natalia",
    "CY": "Panayiotis Stavros Kyriacos Marios Demetris Elena Christina Despina Loukas "
          "Antonis Stella Froso Costas Yiannis",
    "EG": "Mohamed Mahmoud Youssef Hany Amr Sherif Rania Dina Ayman Walid Ehab Noha Hossam "
          "Reem Khaled Amira",
    "ZA": "Sibusiso Themba Nomvula Lindiwe Bongani Mandla Ayanda Jacques Hendrik Elna "
          "Mpho Tshepo Lebohang Karabo",
}
_MORE_LAST = {
    "GB": "Johnson Walker Wright Robinson Thompson White Hughes Edwards Green Hall Wood "
          "Harris Lewis Martin Jackson Clarke Clark Turner Hill Scott Cooper Morris Ward "
          "Moore King Watson Baker Harrison Morgan Patel Young Allen Mitchell James",
    "DE": "Hoffmann Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann "
          "Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Köhler "
          "Maier Herrmann König Walter Huber Kaiser Fuchs Peters Lang Scholz Möller",
    "FR": "Laurent Simon Michel Lefebvre Leroy Roux David Bertrand Morel Fournier Girard "
          "Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Faure André Mercier "
          "Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier",
    "ES": "Díaz Romero Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco "
          "Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Iglesias "
          "Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano",
    "PL": "Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Kaczmarek "
          "Piotrowski Grabowski Zając Pawłowski Michalski Król Wieczorek Jabłoński "
          "Wróbel Nowakowski Majewski Olszewski Stępień Malinowski Jaworski Adamczyk",
    "CY": "Antoniou Savva Christofi Hadjigeorgiou Panayi Stylianou Loizou Andreou "
          "Pavlou Petrou Kyprianou Theodorou Neophytou Evangelou Ioannides Efthymiou",
    "EG": "Abdelaziz Hamdy Fawzy Gamal Hegazy Khalil Morsi Radwan Sabry Tawfik Zaki "
          "Youssef Ezzat Fathy Lotfy Ramadan Saad Shafik Badawi Helmy",
    "ZA": "Zulu Ndlovu Mthembu Sithole Ngcobo Buthelezi Cele Shabalala Radebe Molefe "
          "Nel Venter Coetzee Joubert Smit Fourie Steyn Kruger Du Plessis Swanepoel",
}
_RU_PATRONYMIC = _words("Александрович Дмитриевич Сергеевич Андреевич Иванович Николаевич "
                  "Владимирович Петрович Олегович Игоревич")
_AR_FIRST = dict(zip(
    _words("Muhammad Ahmad Ali Hassan Hussein Omar Khalid Abdullah Ibrahim Yusuf Mahmoud Mustafa "
    "Said Salim Tariq Walid Hamza Bilal Nasser Faisal Jamal Karim Adel Samir Rashid Majid "
    "Zaid Anwar Fahd Sultan"),
    _words("محمد أحمد علي حسن حسين عمر خالد عبدالله إبراهيم يوسف محمود مصطفى سعيد سالم طارق وليد "
    "حمزة بلال ناصر فيصل جمال كريم عادل سمير راشد ماجد زيد أنور فهد سلطان"), strict=True))
_AR_FAMILY = dict(zip(
    _words("al-Masri al-Hashimi al-Qahtani al-Shammari al-Otaibi Haddad Khalil al-Tamimi "
    "al-Rubaie al-Jubouri al-Obeidi al-Ansari Mansour Darwish Saleh Abbas Hamdan Qasim "
    "Yassin Barakat Aziz Suleiman Hijazi Shalabi Khoury Nassar al-Harbi al-Dosari "
    "al-Mutairi al-Zahrani"),
    _words("المصري الهاشمي القحطاني الشمري العتيبي حداد خليل التميمي الربيعي الجبوري العبيدي "
    "الأنصاري منصور درويش صالح عباس حمدان قاسم ياسين بركات عزيز سليمان حجازي شلبي خوري "
    "نصار الحربي الدوسري المطيري الزهراني"), strict=True))
_RU_FIRST = _words("Алексей Андрей Борис Вадим Виктор Владимир Геннадий Григорий Дмитрий Евгений "
             "Игорь Константин Леонид Максим Михаил Николай Олег Павел Роман Сергей Станислав "
             "Юрий Анатолий Валерий")
_RU_LAST = _words("Абрамов Белов Беляев Волков Воробьёв Гаврилов Громов Денисов Егоров Жуков "
            "Захаров Зайцев Калинин Киселёв Ковалёв Козлов Комаров Крылов Лебедев Макаров "
            "Медведев Морозов Никитин Орлов Павлов Романов Семёнов Сорокин Степанов Тарасов "
            "Тимофеев Фролов Чернов Шаров Яковлев Гусев Титов Кудрявцев Баранов")
_FA = dict(zip(
    _words("Mohammad-Reza Hossein Mehdi Ali-Akbar Javad Saeed Abbas Gholam-Reza Majid Reza Mohsen "
    "Hamid Masoud Amir Farhad Kazem Morteza Mojtaba"),
    _words("محمدرضا حسین مهدی علی‌اکبر جواد سعید عباس غلامرضا مجید رضا محسن حمید مسعود امیر "
    "فرهاد کاظم مرتضی مجتبی"), strict=True))
_FA_LAST = dict(zip(
    _words("Rezaei Hosseini Mousavi Ahmadi Karimi Moradi Sadeghi Rahimi Ghorbani Jafari Kazemi "
    "Heidari Salehi Ebrahimi Najafi Rostami Bagheri Shirazi Yazdani Nouri"),
    _words("رضایی حسینی موسوی احمدی کریمی مرادی صادقی رحیمی قربانی جعفری کاظمی حیدری صالحی "
    "ابراهیمی نجفی رستمی باقری شیرازی یزدانی نوری"), strict=True))
_ZH_FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_ZH_GIVEN = "伟明军华建国强红磊斌涛勇杰翔峰海东平超刚"
_KO_FAMILY = "김리박최정강한류장윤"
_KO_GIVEN = "철성일명혁용남수춘호광학"
_LATAM_FIRST = _words("José Juan Luis Carlos Jorge Miguel Rafael Pedro Manuel Francisco Diego "
                "Alejandro Fernando Ricardo Oscar Héctor Raúl Ramón Alberto Eduardo")
_LATAM_LAST = _words("Rodríguez González Hernández López Martínez Pérez Sánchez Ramírez Torres "
               "Flores Rivera Gómez Díaz Reyes Morales Cruz Ortiz Gutiérrez Chávez Ramos "
               "Vargas Castillo Jiménez Moreno Romero Herrera Medina Aguilar Mendoza "
               "Guzmán")
_COMPANY_STEM = _words("Orient Gulf Caspian Northern Eastern Crescent Silk Road Horizon Falcon "
                 "Cedar Amur Volga Pearl Sunrise Atlas Polar Sahel Tigris Zagros Baikal "
                 "Taurus Meridian Oasis Aral Kunlun")
_COMPANY_WORD = _words("Trading Shipping Petroleum Logistics Industries Investment Engineering "
                 "Exchange Metals Electronics Aviation Chemicals Holding Construction")
_COMPANY_FORM = _words("LLC Ltd JSC FZE Co. Company Group PJSC")
_VARIANTS = (("ov", "off"), ("y", "i"), ("kh", "h"), ("ou", "u"), ("ii", "i"), ("ei", "ey"),
             ("j", "dzh"), ("e", "a"), ("mad", "med"), ("ss", "s"))


def client_name(rng: random.Random, country: str) -> tuple[str, str]:
    firsts = list(POOLS[country][0]) + _words(_MORE_FIRST.get(country, ""))
    lasts = list(POOLS[country][1]) + _words(_MORE_LAST.get(country, ""))
    first, last = rng.choice(firsts), rng.choice(lasts)
    if country in ("ES",) and rng.random() < 0.7:
        last = f"{last} {rng.choice(lasts)}"
    elif country == "RU" and rng.random() < 0.5:
        first = f"{first} {rng.choice(_RU_PATRONYMIC)}"
    elif country == "AE" and rng.random() < 0.6:
        first = f"{first} بن {rng.choice(list(_AR_FIRST.values()))}"
    elif rng.random() < 0.35:
        first = f"{first} {rng.choice(firsts)}"
    return first, last


def client_country(rng: random.Random) -> str:
    return rng.choices(list(COUNTRY_WEIGHTS), list(COUNTRY_WEIGHTS.values()))[0]


def _variant(rng: random.Random, text: str) -> str:
    for old, new in rng.sample(_VARIANTS, 3):
        if old in text.lower():
            return (text.replace(old, new).replace(old.capitalize(), new.capitalize())
                    .replace(old.upper(), new.upper()))
    return text


def _dob(rng: random.Random) -> tuple[str, ...]:
    roll, year = rng.random(), rng.randint(1940, 1995)
    if roll < 0.5:
        return (f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",)
    if roll < 0.75:
        return (str(year),)
    if roll < 0.85:
        return tuple(str(y) for y in range(year, year + 3))
    return ()


def listed_entry(rng: random.Random, n: int) -> ListedEntry:
    roll = rng.random()
    ref = str(100_000 + n)
    if roll < 0.22:
        stem, word = rng.choice(_COMPANY_STEM), rng.choice(_COMPANY_WORD)
        name = f"{stem} {word} {rng.choice(_COMPANY_FORM)}".upper()
        aliases = (f"{stem} {rng.choice(_COMPANY_WORD)} {rng.choice(_COMPANY_FORM)}",)
        country = rng.choice(_words("IR RU SY AE CN KP"))
        return ListedEntry(ref, "entity", name, aliases, (), (country,))
    if roll < 0.50:
        first, father = rng.sample(list(_AR_FIRST), 2)
        family = rng.choice(list(_AR_FAMILY))
        name = f"{family.upper()}, {first} {father}"
        original = f"{_AR_FIRST[first]} {_AR_FIRST[father]} {_AR_FAMILY[family]}"
        aliases = (original, _variant(rng, f"{first} bin {father} {family}"))
        country = rng.choice(_words("IQ SY YE LB SA SO LY EG"))
    elif roll < 0.70:
        first, last = rng.choice(_RU_FIRST), rng.choice(_RU_LAST)
        patronymic = rng.choice(_RU_PATRONYMIC)
        original = f"{first} {patronymic} {last}"
        latin_name = anyascii(original)
        name = f"{anyascii(last).upper()}, {anyascii(first)} {anyascii(patronymic)}"
        aliases = (original, _variant(rng, latin_name))
        country = rng.choice(_words("RU RU RU BY UA"))
    elif roll < 0.82:
        first, last = rng.choice(list(_FA)), rng.choice(list(_FA_LAST))
        name = f"{last.upper()}, {first}"
        aliases = (f"{_FA[first]} {_FA_LAST[last]}", _variant(rng, f"{first} {last}"))
        country = "IR"
    elif roll < 0.88:
        family, given = rng.choice(_ZH_FAMILY), "".join(rng.sample(_ZH_GIVEN, 2))
        original = family + given
        name = anyascii(family) + " " + anyascii(given)
        aliases = (original,)
        country = "CN"
    elif roll < 0.93:
        family, given = rng.choice(_KO_FAMILY), "".join(rng.sample(_KO_GIVEN, 2))
        name = f"{anyascii(family).upper()} {anyascii(given[0])} {anyascii(given[1])}"
        aliases = (family + given,)
        country = "KP"
    else:
        first = rng.choice(_LATAM_FIRST)
        last1, last2 = rng.sample(_LATAM_LAST, 2)
        name = f"{last1.upper()} {last2.upper()}, {first}"
        aliases = (_variant(rng, anyascii(f"{first} {last1}")),)
        country = rng.choice(_words("MX CO VE NI"))
    return ListedEntry(ref, "person", name, aliases, _dob(rng), (country,))


def listed_client(rng: random.Random, n: int) -> ListedEntry:
    """An entry named like one of the broker's clients (the hits the bench must find)."""
    country = client_country(rng)
    first, last = client_name(rng, country)
    return ListedEntry(str(100_000 + n), "person", f"{last}, {first}", (), (), (country,))
