#!/usr/bin/env python3
"""Builds the evaluation generator's name and place lists (redact/data/eval/*.tsv).

Sources, all from package registries and none read by the detector:
  * PyPI `faker` (MIT): person providers of many locales (given and family names);
  * PyPI `names` 0.3.0 (MIT): the US Census 1990 given-name and surname lists;
  * PyPI `zipcodes` (MIT): US ZIP codes with their city, state and area codes.

Run from a directory where those are unpacked:
  pip download --no-deps -d . faker names==0.3.0 zipcodes
  unzip faker-*.whl -d faker; tar xzf names-0.3.0.tar.gz; unzip zipcodes-*.whl -d zc
  python3 extract.py OUT_DIR
The lists are sampled with a fixed seed so the output is reproducible from the same inputs.
"""
import importlib, random, sys, os

sys.path[:0] = ["faker", "zc"]
out = sys.argv[1]
rng = random.Random(20261205)
CAP = 260

LATIN = ["en_US", "en_IN", "en_NG", "yo_NG", "ig_NG", "ha_NG", "sw", "es_MX", "es_CO",
         "pt_BR", "vi_VN", "pl_PL", "tr_TR", "fi_FI", "hu_HU", "cs_CZ", "de_DE", "fr_FR",
         "it_IT", "ga_IE", "id_ID", "ro_RO", "nl_NL", "sv_SE", "no_NO", "da_DK", "en_PK",
         "tw_GH", "az_AZ", "uz_UZ"]
OTHER_SCRIPT = ["ru_RU", "ar_SA", "el_GR", "ko_KR", "zh_CN", "hi_IN", "he_IL"]


def sample(xs, n):
    xs = sorted(set(x.strip() for x in xs if x and x.strip()))
    return xs if len(xs) <= n else sorted(rng.sample(xs, n))


given, family = [], []
for loc in LATIN + OTHER_SCRIPT:
    P = importlib.import_module("faker.providers.person." + loc).Provider
    cap = CAP if loc in LATIN else 40
    g = list(getattr(P, "first_names_female", [])) + list(getattr(P, "first_names_male", []))
    g += list(getattr(P, "first_names_unisex", []))
    if not g:
        g = list(P.first_names)
    f = list(getattr(P, "last_names", []))
    f += list(getattr(P, "male_last_names", [])) + list(getattr(P, "unisex_last_names", []))
    if loc == "zu_ZA":
        f = []
    given += [(loc, n) for n in sample(g, cap)]
    family += [(loc, n) for n in sample([x for x in f if x != "Doe"], cap)]
    if loc == "zh_CN":
        given += [("zh_CN_latn", n) for n in P.first_romanized_names]
        family += [("zh_CN_latn", n) for n in P.last_romanized_names]
    if loc == "ru_RU":
        pass
ja = importlib.import_module("faker.providers.person.ja_JP").Provider
given += [("ja_JP_latn", p[2]) for p in ja.first_name_pairs]
family += [("ja_JP_latn", p[2]) for p in getattr(ja, "last_name_pairs", [])]


def census(path):
    with open(path) as fh:
        return [line.split()[0] for line in fh if line.strip()]


def title(n):
    n = n.capitalize()
    for pre in ("Mc", "O'"):
        if n.startswith(pre) and len(n) > len(pre):
            n = pre + n[len(pre)].upper() + n[len(pre) + 1:]
    return n


first = census("names-0.3.0/names/dist.female.first") + census("names-0.3.0/names/dist.male.first")
given += [("us_census", title(n)) for n in sample(first, 1500)]
last = census("names-0.3.0/names/dist.all.last")
family += [("us_census", title(n)) for n in sample(last[:1500], 600) + sample(last[1500:], 2400)]

with open(os.path.join(out, "given_names.tsv"), "w") as fh:
    for loc, n in given:
        if "\t" not in n and n:
            fh.write(f"{loc}\t{n}\n")
with open(os.path.join(out, "family_names.tsv"), "w") as fh:
    for loc, n in family:
        if "\t" not in n and n:
            fh.write(f"{loc}\t{n}\n")

import zipcodes
rows = [z for z in zipcodes.list_all() if z["zip_code_type"] == "STANDARD" and z["active"]
        and z["country"] == "US" and z["area_codes"]]
with open(os.path.join(out, "places.tsv"), "w") as fh:
    for z in sorted(rng.sample(rows, 5000), key=lambda z: z["zip_code"]):
        fh.write(f"{z['zip_code']}\t{z['city']}\t{z['state']}\t{z['area_codes'][0]}\n")
