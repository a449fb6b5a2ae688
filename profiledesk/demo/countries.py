"""Facts about the countries demo customers live in: cities with their postal codes and
area codes, mobile ranges, banks, language and time zone.

Phone prefixes are chosen so that any digits after them make a number that
`phonenumbers.is_valid_number` accepts (tests check every generated number); British
landlines use Ofcom's ranges reserved for drama, so no real subscriber is rung.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    region: str
    # Meaning depends on the country's postcode style (see contact.postcode).
    postcodes: tuple[str, ...]
    landline: str  # E.164 prefix; random digits complete it to Country.landline_length
    time_zone: str = ""  # where it differs from the country's (the US)


@dataclass(frozen=True)
class Bank:
    name: str
    code: str  # the bank's part of the BBAN
    bic: str = ""


@dataclass(frozen=True)
class Country:
    code: str
    faker_locale: str
    language: str
    locale: str
    time_zone: str
    cities: tuple[City, ...]
    mobile_prefixes: tuple[str, ...]
    mobile_length: int  # length of the E.164 string, "+" included
    landline_length: int
    banks: tuple[Bank, ...]
    street_number_first: bool  # "12 High Street" rather than "Calle Mayor, 12"
    line2: tuple[str, ...]  # templates; {n} is a small number, {l} a letter
    email_domains: tuple[str, ...]


# Reserved (RFC 2606 / RFC 6761) domains only: the demo must never mail a real person.
_WEBMAIL = ("example.com", "example.net", "example.org", "mail.example")

COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in [
        Country(
            code="GB",
            faker_locale="en_GB",
            language="en",
            locale="en-GB",
            time_zone="Europe/London",
            cities=(
                City(
                    "London",
                    "Greater London",
                    ("SW1A", "EC1A", "N1", "SE1", "E14", "NW3", "W2"),
                    "+44207946",
                ),
                City("Manchester", "Greater Manchester", ("M1", "M4", "M14", "M20"), "+44161496"),
                City("Birmingham", "West Midlands", ("B1", "B15", "B29"), "+441214960"),
                City("Leeds", "West Yorkshire", ("LS1", "LS6", "LS17"), "+44113496"),
                City("Bristol", "Bristol", ("BS1", "BS8", "BS16"), "+44117496"),
                City("Glasgow", "Scotland", ("G1", "G12", "G41"), "+44141496"),
                City("Edinburgh", "Scotland", ("EH1", "EH3", "EH10"), "+44131496"),
                City("Cardiff", "Wales", ("CF10", "CF24"), "+44292018"),
            ),
            mobile_prefixes=("+4474", "+4475", "+4478"),
            mobile_length=13,
            landline_length=13,
            banks=(
                Bank("NatWest", "NWBK", "NWBKGB2L"),
                Bank("Barclays", "BARC", "BARCGB22"),
                Bank("HSBC UK", "HBUK", "HBUKGB4B"),
                Bank("Lloyds Bank", "LOYD", "LOYDGB2L"),
            ),
            street_number_first=True,
            line2=("Flat {n}", "Flat {n}{l}", "Apartment {n}"),
            email_domains=(*_WEBMAIL, "post.example"),
        ),
        Country(
            code="IE",
            faker_locale="en_IE",
            language="en",
            locale="en-IE",
            time_zone="Europe/Dublin",
            cities=(
                City("Dublin", "County Dublin", ("D02", "D04", "D06", "D08", "D14"), "+3531"),
                City("Cork", "County Cork", ("T12", "T23"), "+35321"),
                City("Galway", "County Galway", ("H91",), "+35391"),
                City("Limerick", "County Limerick", ("V94",), "+35361"),
            ),
            mobile_prefixes=("+35383", "+35385", "+35386", "+35387"),
            mobile_length=13,
            landline_length=12,
            banks=(
                Bank("AIB", "AIBK931152", "AIBKIE2D"),
                Bank("Bank of Ireland", "BOFI900017", "BOFIIE2D"),
            ),
            street_number_first=True,
            line2=("Apartment {n}", "Unit {n}"),
            email_domains=(*_WEBMAIL, "eire.example"),
        ),
        Country(
            code="ES",
            faker_locale="es_ES",
            language="es",
            locale="es-ES",
            time_zone="Europe/Madrid",
            cities=(
                City("Madrid", "Comunidad de Madrid", ("28001-28055",), "+3491"),
                City("Barcelona", "Cataluña", ("08001-08042",), "+3493"),
                City("Valencia", "Comunitat Valenciana", ("46001-46026",), "+3496"),
                City("Sevilla", "Andalucía", ("41001-41020",), "+3495"),
                City("Bilbao", "País Vasco", ("48001-48015",), "+34944"),
                City("Málaga", "Andalucía", ("29001-29018",), "+34952"),
                City("Zaragoza", "Aragón", ("50001-50018",), "+34976"),
            ),
            mobile_prefixes=("+346",),
            mobile_length=12,
            landline_length=12,
            banks=(
                Bank("CaixaBank", "2100", "CAIXESBB"),
                Bank("Banco Santander", "0049", "BSCHESMM"),
                Bank("BBVA", "0182", "BBVAESMM"),
                Bank("Banco Sabadell", "0081", "BSABESBB"),
            ),
            street_number_first=False,
            line2=("{n}º {l}", "Piso {n}, puerta {n}", "Escalera {l}, {n}º"),
            email_domains=(*_WEBMAIL, "correo.example"),
        ),
        Country(
            code="DE",
            faker_locale="de_DE",
            language="de",
            locale="de-DE",
            time_zone="Europe/Berlin",
            cities=(
                City("Berlin", "Berlin", ("10115-14199",), "+4930"),
                City("München", "Bayern", ("80331-81929",), "+4989"),
                City("Hamburg", "Hamburg", ("20095-22769",), "+4940"),
                City("Köln", "Nordrhein-Westfalen", ("50667-51149",), "+49221"),
                City("Frankfurt am Main", "Hessen", ("60306-60599",), "+4969"),
            ),
            mobile_prefixes=("+49151", "+49160", "+49170", "+49176"),
            mobile_length=14,
            landline_length=13,
            banks=(
                Bank("Deutsche Bank", "10070000", "DEUTDEBB"),
                Bank("Commerzbank", "37040044", "COBADEFF"),
                Bank("ING", "50010517", "INGDDEFF"),
            ),
            street_number_first=False,
            line2=("{n}. OG", "Hinterhaus", "c/o {l}. Weber"),
            email_domains=(*_WEBMAIL, "postfach.example"),
        ),
        Country(
            code="FR",
            faker_locale="fr_FR",
            language="fr",
            locale="fr-FR",
            time_zone="Europe/Paris",
            cities=(
                City("Paris", "Île-de-France", ("75001-75020",), "+331"),
                City("Lyon", "Auvergne-Rhône-Alpes", ("69001-69009",), "+3347"),
                City("Marseille", "Provence-Alpes-Côte d'Azur", ("13001-13016",), "+3349"),
                City("Toulouse", "Occitanie", ("31000-31500",), "+3356"),
                City("Bordeaux", "Nouvelle-Aquitaine", ("33000-33800",), "+3355"),
                City("Lille", "Hauts-de-France", ("59000-59800",), "+3332"),
            ),
            mobile_prefixes=("+3361", "+3362", "+3365", "+3366", "+3367", "+3375", "+3377"),
            mobile_length=12,
            landline_length=12,
            banks=(
                Bank("BNP Paribas", "30004", "BNPAFRPP"),
                Bank("Société Générale", "30003", "SOGEFRPP"),
                Bank("LCL", "30002", "CRLYFRPP"),
            ),
            street_number_first=True,
            line2=("Bâtiment {l}", "Appartement {n}", "Résidence les Tilleuls"),
            email_domains=(*_WEBMAIL, "courriel.example"),
        ),
        Country(
            code="NL",
            faker_locale="nl_NL",
            language="nl",
            locale="nl-NL",
            time_zone="Europe/Amsterdam",
            cities=(
                City("Amsterdam", "Noord-Holland", ("1011-1109",), "+3120"),
                City("Rotterdam", "Zuid-Holland", ("3011-3089",), "+3110"),
                City("Utrecht", "Utrecht", ("3511-3585",), "+3130"),
                City("Den Haag", "Zuid-Holland", ("2511-2597",), "+3170"),
                City("Eindhoven", "Noord-Brabant", ("5611-5658",), "+3140"),
            ),
            mobile_prefixes=("+3161", "+3162", "+3163", "+3164", "+3165"),
            mobile_length=12,
            landline_length=12,
            banks=(
                Bank("ABN AMRO", "ABNA", "ABNANL2A"),
                Bank("ING", "INGB", "INGBNL2A"),
                Bank("Rabobank", "RABO", "RABONL2U"),
            ),
            street_number_first=False,
            line2=("{n}-hoog", "huis", "bis"),
            email_domains=(*_WEBMAIL, "thuis.example"),
        ),
        Country(
            code="IT",
            faker_locale="it_IT",
            language="it",
            locale="it-IT",
            time_zone="Europe/Rome",
            cities=(
                City("Roma", "Lazio", ("00118-00199",), "+3906"),
                City("Milano", "Lombardia", ("20121-20162",), "+3902"),
                City("Napoli", "Campania", ("80121-80147",), "+39081"),
                City("Torino", "Piemonte", ("10121-10156",), "+39011"),
                City("Firenze", "Toscana", ("50121-50145",), "+39055"),
                City("Bologna", "Emilia-Romagna", ("40121-40141",), "+39051"),
            ),
            mobile_prefixes=("+39320", "+39333", "+39340", "+39345", "+39347"),
            mobile_length=13,
            landline_length=12,
            banks=(
                Bank("Intesa Sanpaolo", "03069", "BCITITMM"),
                Bank("UniCredit", "02008", "UNCRITMM"),
            ),
            street_number_first=False,
            line2=("Scala {l}, interno {n}", "Piano {n}"),
            email_domains=(*_WEBMAIL, "posta.example"),
        ),
        Country(
            code="US",
            faker_locale="en_US",
            language="en",
            locale="en-US",
            time_zone="America/New_York",
            cities=(
                City("New York", "NY", ("10001-10282",), "+12125", "America/New_York"),
                City("Boston", "MA", ("02108-02137",), "+16175", "America/New_York"),
                City("Chicago", "IL", ("60601-60661",), "+13128", "America/Chicago"),
                City("Austin", "TX", ("78701-78759",), "+15125", "America/Chicago"),
                City("San Francisco", "CA", ("94102-94134",), "+14155", "America/Los_Angeles"),
                City("Seattle", "WA", ("98101-98199",), "+12065", "America/Los_Angeles"),
            ),
            # North American numbers do not tell mobiles from landlines: use the city's.
            mobile_prefixes=(),
            mobile_length=12,
            landline_length=12,
            banks=(),  # no IBANs in the US
            street_number_first=True,
            line2=("Apt {n}{l}", "Suite {n}00", "Unit {n}"),
            email_domains=_WEBMAIL,
        ),
    ]
}

# Where each client's customers live (weights): mostly at home, some abroad.
CLIENT_COUNTRY_MIX: dict[str, dict[str, int]] = {
    "GB": {"GB": 70, "IE": 10, "FR": 4, "DE": 4, "ES": 4, "NL": 3, "IT": 3, "US": 2},
    "ES": {"ES": 65, "FR": 8, "IT": 7, "DE": 5, "GB": 5, "NL": 4, "IE": 2, "US": 4},
}
