"""Name pools per country, in the scripts a broker's clients write their names in."""

from __future__ import annotations

# country: (first names, last names)
POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GB": (("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Emily", "Jack",
            "Sophie"), ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies",
                        "Evans", "Thomas", "Roberts")),
    "DE": (("Lukas", "Mia", "Jonas", "Lena", "Felix", "Hannah", "Maximilian", "Sophie",
            "Jürgen", "Käthe"), ("Müller", "Schmidt", "Schneider", "Fischer", "Weber",
                                 "Meyer", "Wagner", "Becker", "Schäfer", "Groß")),
    "FR": (("Léa", "Hugo", "Chloé", "Louis", "Camille", "Gabriel", "Zoé", "Raphaël", "Inès",
            "Jules"), ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
                       "Durand", "Lefèvre", "Moreau")),
    "ES": (("José", "María", "Javier", "Lucía", "Álvaro", "Sofía", "Sergio", "Paula",
            "Andrés", "Marta"), ("García", "Fernández", "González", "Rodríguez", "López",
                                 "Martínez", "Sánchez", "Pérez", "Gómez", "Núñez")),
    "PL": (("Jakub", "Zuzanna", "Kacper", "Łucja", "Michał", "Wiktoria", "Paweł", "Agnieszka",
            "Tomasz", "Małgorzata"), ("Nowak", "Kowalski", "Wiśniewski", "Wójcik",
                                      "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
                                      "Szymański", "Woźniak")),
    "CY": (("Andreas", "Maria", "Christos", "Eleni", "Georgios", "Anna", "Nikos", "Katerina",
            "Michalis", "Sofia"), ("Georgiou", "Christodoulou", "Ioannou", "Constantinou",
                                   "Charalambous", "Nicolaou", "Demetriou", "Panayiotou",
                                   "Michael", "Kyriakou")),
    "GR": (("Γιώργος", "Μαρία", "Δημήτρης", "Ελένη", "Νίκος", "Αικατερίνη", "Κώστας",
            "Βασιλική", "Γιάννης", "Σοφία"), ("Παπαδόπουλος", "Βλάχος", "Αγγελόπουλος",
                                              "Νικολάου", "Γεωργίου", "Οικονόμου",
                                              "Μακρής", "Καραγιάννης", "Δημητρίου",
                                              "Ιωάννου")),
    "RU": (("Александр", "Анна", "Дмитрий", "Мария", "Сергей", "Елена", "Андрей", "Ольга",
            "Иван", "Татьяна"), ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев",
                                 "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров")),
    "UA": (("Олександр", "Олена", "Андрій", "Наталія", "Богдан", "Ірина", "Тарас", "Оксана",
            "Юрій", "Галина"), ("Шевченко", "Коваленко", "Бондаренко", "Ткаченко",
                                "Кравченко", "Олійник", "Шевчук", "Поліщук", "Мельник",
                                "Лисенко")),
    "AE": (("محمد", "فاطمة", "أحمد", "مريم", "علي", "عائشة", "خالد", "نورة", "سعيد",
            "ليلى"), ("المنصوري", "الهاشمي", "الكعبي", "الظاهري", "المزروعي", "النعيمي",
                      "الشامسي", "السويدي", "البلوشي", "القاسمي")),
    "EG": (("Ahmed", "Mona", "Mostafa", "Yasmin", "Omar", "Nour", "Karim", "Salma", "Tarek",
            "Heba"), ("Hassan", "Ibrahim", "Mahmoud", "Abdelrahman", "El-Sayed", "Farouk",
                      "Mansour", "Naguib", "Shawky", "Soliman")),
    "ZA": (("Thabo", "Lerato", "Sipho", "Naledi", "Pieter", "Anika", "Johan", "Zanele",
            "Kagiso", "Precious"), ("Nkosi", "Dlamini", "Botha", "Van der Merwe", "Mokoena",
                                    "Naidoo", "Pillay", "Khumalo", "Pretorius", "Mahlangu")),
}

# Relative weights: where a typical EU/offshore-licensed retail FX broker's clients live.
COUNTRY_WEIGHTS: dict[str, int] = {
    "GB": 14, "DE": 12, "FR": 8, "ES": 8, "PL": 7, "CY": 6, "GR": 8, "RU": 9, "UA": 7,
    "AE": 9, "EG": 6, "ZA": 6,
}

COMPANY_WORDS = ("Capital", "Holdings", "Trading", "Investments", "Partners", "Group",
                 "Ventures", "Asset Management")
COMPANY_STEMS = ("Aegean", "Northwind", "Blue Harbour", "Limassol", "Cedar", "Baltic",
                 "Sahara", "Orion", "Atlas", "Meridian", "Kestrel", "Danube")

MAIL_HOSTS = ("example.com", "example.org", "example.net", "mail.example")

# International dialling codes of the countries above.
PHONE_PREFIX = {"GB": "44", "DE": "49", "FR": "33", "ES": "34", "PL": "48", "CY": "357",
                "GR": "30", "RU": "7", "UA": "380", "AE": "971", "EG": "20", "ZA": "27"}
