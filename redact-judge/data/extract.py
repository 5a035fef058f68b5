#!/usr/bin/env python3
"""Rebuilds the vendored value lists in this folder from Debian packages.

    apt-get download ruby-faker libgweather-4-common
    for f in *.deb; do dpkg-deb -x "$f" root; done
    python3 extract.py root

Writes given.tsv, family.tsv (name TAB origin TAB script), us_cities.tsv (city TAB state abbr)
and world_cities.tsv (city TAB country). Needs PyYAML. Deterministic: sorted, deduplicated.
"""
import glob
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

import yaml

ROOT = sys.argv[1] if len(sys.argv) > 1 else "root"
FAKER = os.path.join(ROOT, "usr/share/rubygems-integration/all/gems/faker-2.21.0/lib/locales")
GWEATHER = os.path.join(ROOT, "usr/share/libgweather-4/Locations.xml")
HERE = os.path.dirname(os.path.abspath(__file__))
PER_LOCALE = 400  # cap, so that no one origin floods the lists (nl has 22,000 family names)

STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL",
    "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR",
    "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD",
    "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA",
    "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
}

PLAIN = re.compile(r"^[^\W\d_][^\W\d_'’ .-]*(?:[-' ’][^\W\d_]+)*$")


def script(s):
    for ch in s:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return "latin" if name.startswith("LATIN") else name.split(" ")[0].lower()
    return "latin"


def names(locale_dict, want):
    out = []
    for key, value in locale_dict.items():
        if not isinstance(value, list) or not want(key):
            continue
        for v in value:
            if isinstance(v, str) and "#{" not in v and PLAIN.match(v.strip()):
                out.append(v.strip())
    return out


def is_given(k):
    return k.endswith("first_name") or k.endswith("english_name")


def is_family(k):
    return k in ("last_name", "surname") or k.endswith("_last_name")


def faker_names():
    given, family = {}, {}
    for path in sorted(glob.glob(os.path.join(FAKER, "*.yml"))):
        data = yaml.safe_load(open(path, encoding="utf-8"))
        locale = next(iter(data))
        n = data[locale].get("faker", {}).get("name", {})
        if locale in ("en-BORK", "en-au-ocker", "en", "en-US"):
            continue  # joke locales; en/en-US are the lineage of the fake crate's EN, used there
        for target, want in ((given, is_given), (family, is_family)):
            vals = sorted(set(names(n, want)))[:PER_LOCALE]
            for v in vals:
                target.setdefault(v, locale)
    return given, family


def gweather_cities():
    root = ET.parse(GWEATHER).getroot()
    us, world = set(), set()
    for country in root.iter("country"):
        iso = country.findtext("iso-code")
        cname = country.findtext("_name")
        if iso == "US":
            for state in country.findall("state"):
                abbr = STATES.get(state.findtext("_name"))
                if abbr is None:
                    continue
                for city in state.findall("city"):
                    us.add((city.findtext("_name") or city.findtext("name") or "", abbr))
        else:
            for city in country.iter("city"):
                world.add((city.findtext("_name") or city.findtext("name") or "", cname or ""))
    return sorted(us), sorted(world)


def write(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")


def main():
    given, family = faker_names()
    write("given.tsv", sorted((k, v, script(k)) for k, v in given.items()))
    write("family.tsv", sorted((k, v, script(k)) for k, v in family.items()))
    us, world = gweather_cities()
    write("us_cities.tsv", [c for c in us if c[0]])
    write("world_cities.tsv", [c for c in world if c[0]])


if __name__ == "__main__":
    main()
