"""Free-text answers: neutral invented Norwegian sentences of realistic length.

The synthetic exports must carry comments where the real ones have them (the report counts 883
comments on incidents, 604 on missing follow-up), but nothing real may appear in them: the texts
below are invented, generic, and name no person, place or event. A comment is one to three
sentences drawn from a topic's bank (plus an optional closing remark), about 40-350 characters,
like the short free-text answers of a staff survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError
from mhsurvey.routing import routing_mask

from .targets import Published, resolve_value

BANKS: dict[str, tuple[str, ...]] = {
    "incidents": (
        "Har opplevd trusler flere ganger, men det er sjelden noe blir gjort med det.",
        "Det meste handler om stygge kommentarer og blikk, som man etter hvert venner seg til.",
        "En innsatt kom med truende utsagn mot meg under en vanlig runde på avdelingen.",
        "Episodene skjer ofte når vi er få på jobb og må ta mange oppgaver samtidig.",
        "Jeg har blitt spyttet på og dyttet i forbindelse med en urolig situasjon.",
        "Det er særlig de små, daglige kommentarene som sliter over tid.",
        "Trusler mot familien min var det som gjorde mest inntrykk.",
        "Noen ganger blir jeg kjent igjen når jeg handler eller er ute på fritiden, og det er ubehagelig.",
        "Vi fikk beskjed om å skrive avvik, men jeg vet ikke hva som skjedde videre.",
        "Det var en krevende situasjon, men kollegene mine reagerte raskt og ryddig.",
        "Jeg har opplevd at innsatte prøver å bli for personlige for å få fordeler.",
        "Det er mange små hendelser som hver for seg ikke virker så alvorlige.",
        "Verbale trusler forekommer nesten ukentlig i perioder.",
        "Jeg synes det er vanskelig å vite hvor grensen går for hva man skal melde fra om.",
    ),
    "incidents_other": (
        "Ubehagelige henvendelser på telefon utenfor arbeidstid.",
        "Innsatte har forsøkt å finne ut hvor jeg bor.",
        "Gjentatte klager og beskyldninger som føles som et press.",
        "Kommentarer om utseendet mitt fra innsatte.",
        "Press fra pårørende i forbindelse med besøk.",
        "Falske anklager som ble tatt videre i systemet.",
        "Forsøk på å påvirke meg gjennom andre innsatte.",
        "Ubehagelige situasjoner under transport.",
    ),
    "witnessed_other": (
        "Har vært til stede da en kollega ble truet.",
        "Sett innsatte skade seg selv på cellen.",
        "Vært med på å avverge en alvorlig situasjon mellom innsatte.",
        "Opplevd at en innsatt ble alvorlig syk på avdelingen.",
        "Sett kolleger bli stående alene i en krevende situasjon.",
        "Vært vitne til en brann på en celle.",
    ),
    "followup": (
        "Jeg savner at lederen tar kontakt dagen etter en alvorlig hendelse.",
        "Det burde vært en fast rutine for debrifing etter hver hendelse.",
        "Oppfølgingen avhenger for mye av hvilken leder som er på jobb.",
        "Mer tid til å snakke sammen i kollegiet etter krevende vakter.",
        "Tilbud om samtale med psykolog eller annen fagperson uten å måtte be om det selv.",
        "Tilbakemelding på hva som skjer med avvikene vi skriver.",
        "At lederne er mer synlige på avdelingene i hverdagen.",
        "Jeg skulle ønske at også de mindre hendelsene ble tatt på alvor.",
        "Bedre opplæring av nye ledere i hvordan man følger opp ansatte.",
        "En enkel telefon fra leder hadde betydd mye.",
        "Det tar for lang tid før noen spør hvordan det går.",
    ),
    "general": (
        "Takk for at temaet blir tatt opp, det er viktig for oss som jobber her.",
        "Jeg håper undersøkelsen fører til konkrete tiltak og ikke bare en rapport.",
        "Bemanningen har stor betydning for hvor trygge vi føler oss.",
        "Noen av spørsmålene var vanskelige å svare på fordi situasjonen varierer mye.",
        "Jeg trives i jobben, men belastningen har økt de siste årene.",
        "Det er et godt kollegafellesskap, og det hjelper mye.",
        "Mer ressurser til kompetanseheving og veiledning ville vært bra.",
        "Det er viktig å huske at de fleste dagene går helt fint.",
        "Skiftarbeid og mye overtid gjør det vanskelig å hente seg inn igjen.",
    ),
}
CLOSERS = (
    "",
    "",
    " Ellers er det stort sett greit.",
    " Dette gjelder nok flere enn meg.",
    " Jeg har ikke mer å tilføye.",
    " Det er viktig at dette blir fulgt opp.",
)


def make_comment(topic: str, rng: np.random.Generator) -> str:
    """One invented comment: 1-3 distinct sentences of the topic's bank plus a closing remark."""
    bank = BANKS[topic]
    k = int(rng.choice([1, 1, 2, 2, 3]))
    picks = rng.choice(len(bank), size=min(k, len(bank)), replace=False)
    text = " ".join(bank[i] for i in picks)
    return text + CLOSERS[int(rng.integers(len(CLOSERS)))]


def _routed(codes: pd.DataFrame, expr: str | None) -> np.ndarray:
    if not expr:
        return np.ones(len(codes), dtype=bool)
    return routing_mask(codes, expr).to_numpy()


def generate_comments(
    codes: pd.DataFrame,
    codebook: Codebook,
    spec: Mapping[str, Any],
    published: Published,
    target_rows: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Fill the free-text columns (and their yes/no gate questions when nobody else did).

    ``spec`` maps a text column to ``{topic, n | share_of_routed, gate?}``:

    * ``gate``: the single question that opens the text field ("Ja, skriv inn" = 1, "Nei" = 2).
      If the chapter-2 generator left it empty, ``n`` analysed respondents answer 1 and everybody
      else 2; otherwise every respondent who answered 1 writes a comment.
    * ``share_of_routed``: that share of the analysed respondents routed to the field write one.
    * ``n`` alone: ``n`` analysed respondents among those routed to the field (all if unrouted).
    Text columns not in ``spec`` stay empty. Returns the codes (gates filled), the text frame and
    the number of comments per column.
    """
    codes = codes.copy()
    text = pd.DataFrame({c.name: [None] * len(codes) for c in codebook.text_columns}, dtype=object)
    report: dict[str, Any] = {}
    for col_name, cspec in spec.items():
        if not codebook.has_column(col_name) or not codebook.column(col_name).is_text:
            raise ConfigError(f"comments.{col_name}: not a text column of codebook {codebook.path}")
        topic = cspec["topic"]
        if topic not in BANKS:
            raise ConfigError(f"comments.{col_name}: unknown topic {topic!r} (known: {sorted(BANKS)})")
        routing = codebook.column(col_name).routing
        gate = cspec.get("gate")
        if gate:
            g = codes[gate].to_numpy(dtype=float)
            if np.isnan(g[target_rows]).all():
                n = int(resolve_value(cspec["n"], published, f"comments.{col_name}.n"))
                pool = np.flatnonzero(target_rows)
                yes = rng.choice(pool, size=min(n, len(pool)), replace=False)
                g = np.where(np.isnan(g), 2.0, g)
                g[target_rows] = 2.0
                g[yes] = 1.0
                codes[gate] = g
            writers = np.flatnonzero((codes[gate].to_numpy(dtype=float) == 1.0) & target_rows)
        else:
            routed = np.flatnonzero(_routed(codes, routing) & target_rows)
            if "share_of_routed" in cspec:
                k = int(round(float(cspec["share_of_routed"]) * len(routed)))
                writers = np.sort(rng.choice(routed, size=k, replace=False)) if k else np.array([], dtype=int)
            else:
                n = int(resolve_value(cspec["n"], published, f"comments.{col_name}.n"))
                writers = np.sort(rng.choice(routed, size=min(n, len(routed)), replace=False))
        for r in writers:
            text.at[int(r), col_name] = make_comment(topic, rng)
        report[col_name] = int(len(writers))
    return codes, text, report
