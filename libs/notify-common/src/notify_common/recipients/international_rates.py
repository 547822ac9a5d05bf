"""International SMS billing data: which country prefixes we send to and what each costs.

The facts come from GOV.UK Notify's ``international_billing_rates.yml``: a number
whose prefix is not listed here is refused with "Not a valid country prefix". ``rate_multiplier``
multiplies the per-fragment SMS rate; ``delivery_receipts`` is False where the destination networks
send no reliable receipts (the YAML's ``dlr`` is anything but ``YES``), so such messages stay ``sent``.

North American Numbering Plan countries with their own area code (e.g. Bermuda, ``1441``) are keyed by
the four digits; the rest of ``+1`` falls under ``1``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InternationalRate:
    prefix: str
    rate_multiplier: int
    delivery_receipts: bool
    names: tuple[str, ...]


# prefix | rate multiplier | delivery receipts (Y/N) | countries
_TABLE = """
1|1|N|Canada; United States; Dominican Republic
7|4|Y|South Ossetia; Kazakhstan; Abkhazia; Russian Federation
20|3|Y|Egypt
27|2|Y|South Africa
30|2|Y|Greece
31|3|Y|Netherlands
32|3|Y|Belgium
33|2|Y|France
34|2|Y|Spain
36|3|Y|Hungary
39|2|Y|Italy
40|2|Y|Romania
41|2|Y|Switzerland
43|3|Y|Austria
44|1|Y|United Kingdom; Guernsey; Isle of Man; Jersey
45|2|Y|Denmark
46|2|Y|Sweden
47|3|Y|Norway
48|2|Y|Poland
49|4|Y|Germany
51|2|Y|Peru
52|2|N|Mexico
53|2|Y|Cuba
54|3|N|Argentina
55|2|Y|Brazil
56|1|N|Chile
57|1|N|Colombia
58|2|Y|Venezuela
60|1|Y|Malaysia
61|2|Y|Australia
62|2|Y|Indonesia
63|1|Y|Philippines
64|3|Y|New Zealand
65|1|Y|Singapore
66|2|Y|Thailand
81|3|Y|Japan
82|2|Y|Korea, Republic of
84|2|N|Vietnam
86|2|N|China
90|2|Y|Turkey; Northern Cyprus
91|3|Y|India
92|2|Y|Pakistan
93|3|Y|Afghanistan
94|2|Y|Sri Lanka
95|2|Y|Myanmar
98|2|Y|Iran
211|2|N|South Sudan
212|2|Y|Morocco
213|2|Y|Algeria
216|2|Y|Tunisia
218|2|Y|Libya
220|2|Y|Gambia
221|2|Y|Senegal
222|2|N|Mauritania
223|2|Y|Mali
224|3|Y|Guinea
225|2|Y|Cote d'Ivoire
226|3|Y|Burkina Faso
227|3|Y|Niger
228|2|N|Togo
229|3|N|Benin
230|2|Y|Mauritius
231|2|N|Liberia
232|2|Y|Sierra Leone
233|2|Y|Ghana
234|4|Y|Nigeria
235|3|Y|Chad
236|3|N|Central African Republic
237|2|Y|Cameroon
238|3|N|Cape Verde
239|2|N|Sao Tome and Principe
240|2|N|Equatorial Guinea
241|2|Y|Gabon
242|3|Y|Congo
243|3|Y|Congo, Democratic Republic of
244|3|Y|Angola
245|3|N|Guinea-Bissau
246|2|N|British Indian Ocean Territory
248|2|Y|Seychelles
249|2|N|Sudan
250|2|Y|Rwanda, Republic of
251|2|Y|Ethiopia
252|2|N|Somalia
253|2|N|Djibouti, Republic of
254|1|Y|Kenya
255|1|Y|Tanzania
256|2|Y|Uganda
257|3|N|Burundi
258|2|Y|Mozambique
260|2|Y|Zambia
261|2|Y|Madagascar
262|2|N|Reunion
263|1|N|Zimbabwe
264|2|Y|Namibia
265|2|Y|Malawi
266|2|N|Lesotho
267|2|Y|Botswana
268|2|Y|Eswatini
269|2|N|Comoros
291|4|Y|Eritrea
297|3|N|Aruba
298|2|N|Faroe Islands
299|2|N|Greenland
350|2|Y|Gibraltar
351|2|Y|Portugal
352|2|Y|Luxembourg
353|3|Y|Ireland
354|2|Y|Iceland
355|2|Y|Albania
356|2|Y|Malta
357|2|Y|Cyprus
358|3|Y|Finland
359|4|Y|Bulgaria
370|2|Y|Lithuania
371|2|Y|Latvia
372|2|Y|Estonia
373|3|N|Moldova
374|3|Y|Armenia
375|1|Y|Belarus
376|2|Y|Andorra
377|2|Y|Monaco
378|3|N|San Marino, Republic of
380|4|Y|Ukraine
381|1|Y|Serbia
382|2|Y|Montenegro
383|4|N|Kosovo
385|2|Y|Croatia
386|2|Y|Slovenia
387|2|Y|Bosnia and Herzegovina
389|1|Y|Macedonia
420|4|Y|Czech Republic
421|2|Y|Slovakia
423|1|Y|Liechtenstein
500|2|Y|Falkland Islands
501|3|Y|Belize
502|3|Y|Guatemala
503|2|Y|El Salvador
504|2|N|Honduras
505|3|N|Nicaragua
506|2|Y|Costa Rica
507|2|Y|Panama
508|2|N|Saint Pierre and Miquelon
509|3|N|Haiti
590|2|Y|Guadeloupe
591|3|Y|Bolivia
592|2|Y|Guyana
593|1|N|Ecuador
594|2|N|French Guiana
595|2|N|Paraguay
596|2|N|Martinique
597|4|N|Suriname
598|1|Y|Uruguay
599|3|Y|Curacao (former Netherlands Antilles)
670|2|N|Timor L'este
672|3|N|Norfolk Island
673|1|Y|Brunei Darussalam
674|2|N|Nauru
675|2|Y|Papua New Guinea
676|2|N|Tonga
677|1|N|Solomon Islands
678|2|N|Vanuatu
679|2|Y|Fiji
680|3|N|Palau
681|4|N|Wallis and Futuna
682|3|N|Cook Islands
683|4|N|Niue
685|3|N|Samoa
686|4|N|Kiribati
687|3|Y|New Caledonia
689|2|Y|French Polynesia
690|4|N|Tokelau
691|2|N|Micronesia, Federated States of
692|1|N|Marshall Islands
852|3|Y|Hong Kong
853|1|Y|Macau
855|3|Y|Cambodia
856|2|Y|Laos
880|3|Y|Bangladesh
886|2|N|Taiwan
960|2|N|Maldives
961|2|Y|Lebanon
962|2|Y|Jordan
963|3|Y|Syria
964|2|Y|Iraq
965|2|Y|Kuwait
966|2|Y|Saudi Arabia
967|2|N|Yemen
968|1|Y|Oman
970|4|N|Palestinian Territory
971|2|Y|United Arab Emirates
972|3|Y|Israel
973|3|Y|Bahrain
974|1|Y|Qatar
975|2|N|Bhutan
976|2|Y|Mongolia
977|2|Y|Nepal
992|2|Y|Tajikistan
993|2|N|Turkmenistan
994|2|Y|Azerbaijan
995|2|Y|Georgia
996|2|Y|Kyrgyzstan
998|2|Y|Uzbekistan
1242|2|N|Bahamas
1246|3|N|Barbados
1264|3|Y|Anguilla
1268|3|Y|Antigua and Barbuda
1284|3|Y|Virgin Islands, British
1345|3|Y|Cayman Islands
1441|3|N|Bermuda
1473|3|Y|Grenada
1649|3|Y|Turks and Caicos Islands
1664|3|Y|Montserrat
1684|3|N|American Samoa
1721|1|N|Sint Maarten
1758|3|Y|Saint Lucia
1767|3|Y|Dominica, Commonwealth of
1784|3|Y|Saint Vincent and The Grenadines
1868|3|N|Trinidad and Tobago
1869|3|Y|Saint Kitts and Nevis
1876|3|Y|Jamaica
"""


def _parse(table: str) -> dict[str, InternationalRate]:
    rates: dict[str, InternationalRate] = {}
    for row in table.strip().splitlines():
        prefix, multiplier, receipts, names = row.split("|")
        rates[prefix] = InternationalRate(
            prefix=prefix,
            rate_multiplier=int(multiplier),
            delivery_receipts=receipts == "Y",
            names=tuple(name.strip() for name in names.split(";")),
        )
    return rates


INTERNATIONAL_RATES: dict[str, InternationalRate] = _parse(_TABLE)


def rate_for_prefix(prefix: str) -> InternationalRate | None:
    return INTERNATIONAL_RATES.get(prefix)
