"""How often a legacy-encoded table is decoded to the right text: charset-normalizer's own pick
against the table reader's rule (ties in chaos and coherence go to the Windows code pages,
Western first; abstract_search.ingest.tables.reading.detect_code_page).

Each sample is a small table of names and titles in one language, saved in the code page a
spreadsheet program on a Windows machine of that language writes, at 1, 3 and 12 rows. A
decode counts as right when it gives back the very text that was saved.

    .venv/bin/python benchmarks/table_encodings.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine  # noqa: E402

# (language, code page, rows of "title;authors;affiliation")
SAMPLES = [
    (
        "French",
        "cp1252",
        [
            "Verre fondu à haute température;Lévêque, François|Bérénice Noël;Université de Genève",
            "Cristallisation des vitrocéramiques;Hélène Côté;École polytechnique",
            "Étude des défauts ponctuels;Jérôme Dupré;Université Paris-Saclay",
        ],
    ),
    (
        "German",
        "cp1252",
        [
            "Über die Struktur von Gläsern;Jörg Müßig|Käthe Schön;Universität Jena",
            "Spannungsrisse in Quarzglas;Günther Wölfle;Technische Universität München",
            "Schmelzverhalten großer Proben;Jürgen Bäcker;Fraunhofer-Institut für Silicatforschung",
        ],
    ),
    (
        "Spanish",
        "cp1252",
        [
            "Vidrios bioactivos para regeneración ósea;José Núñez|María Peña;Universidad de León",
            "Difusión iónica en silicatos;Íñigo Ibáñez;Universidad Politécnica de Cataluña",
            "Propiedades ópticas de vidrios;Begoña Muñoz;CSIC, Instituto de Cerámica y Vidrio",
        ],
    ),
    (
        "Scandinavian",
        "cp1252",
        [
            "Glass i høye trykk;Søren Ærø|Øyvind Åsen;Norges teknisk-naturvitenskapelige universitet",
            "Kristallisation av glaskeramer;Åsa Öberg;Chalmers tekniska högskola",
            "Glasfiber til vindmøller;Jørgen Dæhli;Danmarks Tekniske Universitet",
        ],
    ),
    (
        "Polish",
        "cp1250",
        [
            "Szkła tlenkowe w wysokiej temperaturze;Łukasz Żółć|Paweł Świątek;Politechnika Wrocławska",
            "Krystalizacja szkieł;Małgorzata Wąsik;Akademia Górniczo-Hutnicza w Krakowie",
            "Właściwości optyczne szkła;Grzegorz Łęcki;Uniwersytet Gdański",
        ],
    ),
    (
        "Czech",
        "cp1250",
        [
            "Struktura skel při vysokém tlaku;Jiří Dvořák|Zdeněk Šťastný;Univerzita Pardubice",
            "Krystalizace sklokeramiky;Petra Nováková;Vysoká škola chemicko-technologická v Praze",
            "Optické vlastnosti skel;Tomáš Černý;Ústav anorganické chemie",
        ],
    ),
    (
        "Russian",
        "cp1251",
        [
            "Структура стёкол при высоком давлении;Иван Петров|Ольга Смирнова;Московский университет",
            "Кристаллизация стеклокерамики;Дмитрий Кузнецов;Институт химии силикатов",
            "Оптические свойства стёкол;Наталья Соколова;Санкт-Петербургский университет",
        ],
    ),
    (
        "Greek",
        "cp1253",
        [
            "Δομή των υάλων σε υψηλή πίεση;Γιώργος Παπαδόπουλος|Μαρία Νικολάου;Πανεπιστήμιο Αθηνών",
            "Κρυστάλλωση υαλοκεραμικών;Νίκος Γεωργίου;Εθνικό Μετσόβιο Πολυτεχνείο",
            "Οπτικές ιδιότητες υάλων;Ελένη Κωνσταντίνου;Πανεπιστήμιο Κρήτης",
        ],
    ),
    (
        "Turkish",
        "cp1254",
        [
            "Yüksek basınçta camların yapısı;Şükrü Öztürk|Ayşe Çelik;İstanbul Teknik Üniversitesi",
            "Cam seramiklerin kristalleşmesi;Gökhan Yıldız;Orta Doğu Teknik Üniversitesi",
            "Camların optik özellikleri;Çağla Güneş;Ankara Üniversitesi",
        ],
    ),
]


def table(rows: list[str], n: int) -> str:
    body = [rows[k % len(rows)] for k in range(n)]
    return "title;authors;affiliation\n" + "\n".join(body) + "\n"


def main() -> None:
    from charset_normalizer import from_bytes

    from abstract_search.ingest.tables.reading import detect_code_page

    results = {"charset_normalizer_best": {}, "tie_to_windows_code_pages": {}}
    for language, code_page, rows in SAMPLES:
        for n in (1, 3, 12):
            text = table(rows, n)
            data = text.encode(code_page)
            best = from_bytes(data).best()
            plain = best is not None and data.decode(best.encoding) == text
            chosen = detect_code_page(data)
            ours = chosen is not None and data.decode(chosen) == text
            key = f"{language} ({code_page}), {n} rows"
            results["charset_normalizer_best"][key] = best.encoding if best else None
            results["tie_to_windows_code_pages"][key] = chosen
            print(
                f"{key:32s} charset-normalizer {best.encoding if best else '-':12s} {'ok' if plain else 'WRONG':5s}"
                f"  with ties to Windows pages {chosen or '-':12s} {'ok' if ours else 'WRONG'}"
            )
            results.setdefault("right", {}).setdefault("charset_normalizer_best", []).append(plain)
            results["right"].setdefault("tie_to_windows_code_pages", []).append(ours)
    total = len(results["right"]["charset_normalizer_best"])
    summary = {name: f"{sum(flags)}/{total}" for name, flags in results.pop("right").items()}
    print("right decodes:", summary)
    out = Path(__file__).resolve().parent / "results" / "table_encodings.json"
    out.write_text(json.dumps({"right": summary, "picks": results, "machine": machine()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
