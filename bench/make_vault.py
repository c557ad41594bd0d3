#!/usr/bin/env python3
"""Generate a synthetic Obsidian-style vault for benchmarking kg.

Usage: python bench/make_vault.py N [--out DIR] [--seed S] [--sources M] [--force]
                                    [--realistic] [--words LOW-HIGH]

Writes DIR (default: bench/vaults/vault-N beside this script, vault-N-realistic with
--realistic) holding kg.toml (one comment line), notes/ and sources/. The N notes (300-1,500
words, uniform) sit in nested folders, e.g. notes/area-3/topic-12/<name>.md, with names unique
across folders. Each has YAML front matter, an H1 and 4-8 "##" sections (Summary, Key
insights, Evidence, ...) of paragraphs and lists with figures (3–5%, $3.48/M tokens, 6 of 8,
...), inline #tags, 5-25 [[wikilinks]] (some |label, #Heading or ![[embed]]; ~3% unresolved),
block ids (^b12), Dataview fields (supports:: [[x]]) and, in ~10% of notes, a fenced code
block holding [[not-a-link]]. The M sources (default N // 10; 300-1,200 words) are
sources/src-0001.md with front matter or, ~20%, plain .txt; Evidence sections cite them as
[[sources/src-0012]], without extension even for .txt. All notes share one small vocabulary,
so every claim finds evidence in many sources: a stress test, not a vault anyone writes.

--words LOW-HIGH draws each note's length uniformly from LOW..HIGH instead of 300..1,500; the
sections and lists every note of the default shape has come to ~200 words, so shorter notes
need --realistic --words.

--realistic writes a vault shaped like a personal one:
- Note length is log-normal, median 150 words, sigma 0.9, clipped to 40..1,500 (mean ~220;
  ~7% of notes at the 40-word floor, ~0.5% at the cap): most personal notes are a paragraph or
  two and a few are long write-ups. Published docs run longer: the 86 Markdown notes of
  ../shared/corpora/foam-docs have a median of ~300 and a mean of ~440 words, and a personal
  vault sits well below them. --words LOW-HIGH still overrides the length (uniform).
- Structure follows length: an untitled opening paragraph, then ~1 "##" section per 120
  words; 1-4 links per note plus one per 50 words; Related lists in ~40% of notes.
- Each area (notes/area-K) has its own topic (energy, cooking, law, ...: its nouns,
  adjectives, names, phrases, units and tags; areas past the 24 topics reuse them), and so
  do the sources, split into areas in order; a claim's nearest source sentences are then
  mostly its own area's.
- ~30% of notes have an Evidence section of 1-3 items, each restating a sentence of a source
  of its area (85%) or any area, and citing it.
- A figure states one of its area's measured facts (FACTS_PER_AREA sentences, each with its own
  figure from a wide range: 12.4%, 3.1x, $18,400, 4.72 MW, 17 of 43), as a vault restates what
  its sources say; a fact stated in several notes gives the same figure, except that DISAGREE of
  the statements give another one: the disagreements a reader would agree are real. (Figures
  drawn afresh for every sentence made any two figures beside a shared topic word look like one
  measure given twice: 97,616 numeric "tensions" among 183,361 claims at 10k notes.)
- Sources have 400-1,500 words.

The same N, M, seed and options give the same vault; without the new options the vault is
the one earlier versions of this script wrote. kg.toml names the GENERATION of a --realistic
vault, so that bench/bench_scale.py makes it afresh when this script changes it. A non-empty DIR is refused unless --force,
which deletes DIR/notes and DIR/sources (nothing else) first. Standard library only.
"""
from __future__ import annotations

import argparse
import calendar
import itertools
import math
import random
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

HEADINGS = ["Summary", "Key insights", "Evidence", "Implications", "Details",
            "Contradictions / tensions", "Open questions", "Related"]
ADJ = ("open closed frontier commodity proprietary open-weight hosted marginal durable enterprise "
       "agentic multimodal sovereign cheaper larger smaller dominant emerging permissive regional "
       "quantised distilled").split()
NOUN = ("model inference cost benchmark licence quality gap training serving margin premium buyer "
        "provider market lab ecosystem release runtime pipeline price token latency workload "
        "strategy moat adoption dataset evaluation throughput cluster vendor regulator").split()
VERBS = [v.split("/") for v in ("narrows/narrow widens/widen drives/drive reduces/reduce "
         "undercuts/undercut shapes/shape limits/limit explains/explain outperforms/outperform "
         "tracks/track erodes/erode offsets/offset matches/match lags/lag").split()]
OPENERS = ["In practice,", "By contrast,", "Over time,", "For most buyers,", "On current evidence,",
           "As a rule,", "Put simply,", "Historically,", "At scale,", "In the short run,"]
TAILS = ["across most benchmarks", "at high token volumes", "for enterprise buyers",
         "in the long run", "on agentic tasks", "once serving costs are counted",
         "for regulated industries", "after the last release cycle", "in most regions",
         "relative to closed providers", "under the current licence terms", "on long contexts"]
ENTITIES = ["Kestrel-4", "Atlas Pro", "Orion 3.1", "Nimbus Labs", "Halcyon AI", "Vega-70B",
            "Northwind", "Cobalt Systems", "Lumen 2", "Quill-8x7B", "Meridian", "Basalt-1T"]
FIRST = ("Jane Amir Maria Kenji Lena Tomas Priya Oluwaseun Chen Sofia Marcus Ines Ravi Nadia "
         "Yusuf Elena Hiro Grace Mateo Aisha Jonas Mei Pavel Zara").split()
LAST = ("Doe Haddad Okafor Tanaka Novak Reyes Iyer Adeyemi Wei Lindqvist Brandt Moreau Kapoor "
        "Silva Nakamura Osei Kowalski Ferreira Ahmed Larsen Romano Park Quinn Dubois").split()
ORGS = ("Cobalt Meridian Basalt Halcyon Northwind Quill Vega Lumen Atlas Kestrel Orion Cinder "
        "Juniper Solace Tessera Harbor Aurora Granite").split()
ORG_SUFFIX = ["Labs", "AI", "Systems", "Research", "Institute", "Capital", "Cloud"]
TAGS = ["ai/models", "ai/inference", "ai/training", "economics", "economics/pricing",
        "open-source", "policy/licensing", "benchmarks", "strategy", "hardware/gpu", "markets"]
PUBLISHERS = ["Signal Weekly", "The Inference Review", "Compute Ledger", "Model Markets",
              "Open Weights Digest", "Frontier Brief"]
CODE_SPANS = ["`kg build`", "`temperature=0.2`", "`max_tokens`", "`int8`", "`vllm serve`"]
CONNECT = ["(see {})", "(cf. {})", "per {}", "as {} argues", "according to {}", "with {}"]
WITH_FIGURE = ["{a} {v} {b} by {f} {t}", "the {n} between {a} and {b} is {f}",
               "{a} {v} {b}, at roughly {f}", "{a} {v} {b} ({f})", "{a} {v} {b} {t}, about {f}"]
PLAIN = ["{o} {a} {v} {b} {t}", "{a} {v} {b}", "{a} {v} {b} {t}", "{o} {a} {v} {b}"]
QUESTIONS = ["does {a} {base} {b} {t}", "how large is the {n} gap {t}",
             "will {a} still {base} {b} in {m} months", "why does {a} {base} {b}"]
FIGURES = [  # the quantity forms kg must parse; d is an en dash (80%) or a hyphen
    lambda r, a, d: f"{a}{d}{a + r.randint(1, 9)}%",
    lambda r, a, d: f"~{a}%",
    lambda r, a, d: f"{a}{d}{a + r.randint(1, 10)}x",
    lambda r, a, d: f"${r.uniform(0.1, 40):.2f}/M tokens",
    lambda r, a, d: f"${a}B",
    lambda r, a, d: f"{a * r.choice((10, 25, 50))}M MAU",
    lambda r, a, d: f"{r.randint(1, a // 4 + 2)} of {a // 4 + 2}",
    lambda r, a, d: f"{a // 2 + 3}{d}{a // 2 + 6 + r.randint(0, 12)} months",
    lambda r, a, d: f"{r.randint(5, 30) * 100:,}B",
]

# --realistic: one topic per area, one paragraph each:
# name | nouns | adjectives | names; | phrases; | units
TOPICS = [" ".join(block.split()).split(" | ") for block in """
energy | grid battery turbine tariff reactor substation inverter storage demand load capacity
utility panel interconnector curtailment heat-pump transformer feeder electrolyser meter outage
dispatch auction subsidy hydrogen | renewable intermittent offshore rooftop decentralised
dispatchable residential grid-scale thermal nuclear | Helios Grid; Northsea Wind; Voltara;
Ampere Coop; Ridgeline Power; Solstice Energy | during winter peaks; on the transmission
network; for household bills; after the capacity auction; in windless weeks; across the
interconnector | MW GWh kWh

genomics | gene protein enzyme receptor mutation pathway cell tissue assay genome antibody
promoter knockout strain culture plasmid marker variant phenotype biopsy lineage membrane ligand
inhibitor | recessive dominant somatic germline mutant wild-type transgenic conserved metabolic
cellular | Genova Lab; Helix Institute; MarkerBio; Cellwright; Protea Sciences; Strand Genomics
| in mouse models; across cell lines; in the knockout strain; under hypoxic conditions; in the
second assay; at higher doses | mg µm nm hours

investing | portfolio bond equity dividend yield index fund fee mortgage pension allocation
volatility drawdown annuity broker spread coupon maturity ladder allowance savings rebalancing
benchmark | passive active diversified tax-free leveraged defensive cyclical fixed-rate
long-dated speculative | Vanguardia; Beacon Index; Harbour Pensions; Tallis Capital; Crestline
Funds; Pinemoor Bank | over a full market cycle; after fees; for retail investors; in a
rising-rate year; before tax; since the last correction | years months

cooking | dough starter crust oven broth stock sauce marinade braise skillet spice fermentation
brine sourdough gluten yeast butter emulsion roux glaze pastry flour seasoning umami |
slow-cooked crisp tender caramelised fermented rustic seasonal smoky acidic buttery | Casa
Farina; The Copper Pot; Miso & Co; Brasserie Lune; Hearthstone Bakery; Saltbox Kitchen | at high
hydration; after an overnight proof; in a cast-iron pan; for weeknight dinners; at sea level;
while the dough rests | g °C minutes

running | pace interval tempo cadence marathon recovery stride mileage threshold session taper
shoe injury warm-up heart-rate plan strength mobility split race long-run fatigue gel hill |
aerobic anaerobic easy steady progressive hilly structured restorative endurance explosive |
Fleetfoot Runners; Tempo Lab; Ridge Harriers; Stridewell; Cadence Coaching; Kairos Athletics |
in the final taper; on hilly courses; for first-time marathoners; in hot weather; during base
building; after a rest week | km minutes kcal

transport | bus tram zoning corridor cycle-lane parking density junction commuter fare timetable
depot footpath ridership congestion interchange bypass suburb transit rail platform crossing
plaza kerb | walkable car-free dense suburban peak-hour orbital pedestrian low-traffic mixed-use
municipal | Metrolink North; Cityline Transit; Harbourside Council; Greenway Trust; Tramworks;
Civitas Planning | during rush hour; on the new corridor; for outer suburbs; after the fare
change; in the city centre; on weekends | km minutes mph

climate | carbon emission forest wetland species habitat drought rainfall glacier permafrost
reef ocean sink offset methane aerosol heatwave wildfire pollinator soil watershed canopy peat
mangrove | arid coastal boreal tropical invasive endemic degraded restored fragmented marine |
Terraverde; Blue Carbon Trust; Arctic Watch; Canopy Project; Riverkeep; Peatland Alliance |
since pre-industrial times; in the northern hemisphere; during El Niño years; across the basin;
in restored plots; by mid-century | Gt ppm °C mm

software | compiler cache query schema migration endpoint deploy rollback fixture dependency
lockfile container queue worker regression refactor module interface branch merge linter
profiler heap thread | flaky idempotent async stateless typed legacy monolithic distributed
incremental concurrent | Quarry DB; Lattice CI; Foxglove; Kiln; Hatchway; Tinderbox | in
production; on cold starts; under load; after the migration; in the CI pipeline; on every commit
| milliseconds MB GB seconds

history | treaty empire dynasty archive manuscript revolt census monastery guild parliament
charter siege frontier harbour merchant chronicle province colony succession coinage plague
famine council crown | medieval colonial imperial early-modern feudal mercantile provincial
monastic revolutionary dynastic | Ostmark Chronicle; Aldermoor Abbey; Kingdom of Veloria; Duchy
of Brenn; Saltmarsh Guild; Carrow Archive | after the succession crisis; in the northern
provinces; during the long peace; in the surviving charters; in the port cities; before the
reform | years decades km

music | chord melody rhythm harmony scale riff bassline mix master synth sample loop groove
arrangement chorus verse cadence timbre microphone amplifier vinyl album setlist tuning | modal
syncopated acoustic analog distorted minimal ambient polyphonic orchestral chromatic | Velvet
Static; Moth & Mirror; Aurelian Quartet; Low Tide Records; Sundial Studio; Parlour Sound | in
the final mix; on the live recording; at slower tempos; in the second verse; on vinyl pressings;
for streaming | seconds minutes

education | curriculum classroom pupil teacher lesson assessment homework exam syllabus tutor
feedback rubric attendance literacy numeracy cohort grade lecture seminar mentoring scholarship
enrolment workload timetable | formative summative remedial bilingual inclusive blended
vocational selective peer-led project-based | Northfield Academy; Bright Path Tutors; Learnwell;
Kestrel School; Meadowbank College; Ardent Trust | in the first term; for struggling readers;
across the cohort; after the new syllabus; in mixed-ability classes; by the end of the year |
hours weeks

health | sleep caffeine fibre protein glucose insulin cholesterol dose supplement vitamin trial
placebo symptom clinic diagnosis screening therapy relapse appetite microbiome inflammation
biomarker cortisol hydration | chronic acute randomised double-blind low-carb sedentary clinical
preventive dietary postnatal | Wellspring Clinic; Nourish Study; Cardiffe Health; Somnia Lab;
Vitalis Trial; Oakridge Hospital | in older adults; over twelve weeks; in the placebo arm; at
bedtime; for shift workers; after the first dose | mg kcal hours g

photography | lens aperture shutter sensor exposure tripod filter histogram focus bokeh flash
composition portrait landscape print crop white-balance noise zoom prime viewfinder gimbal
darkroom film | wide-angle telephoto overexposed handheld grainy monochrome backlit mirrorless
analogue long-exposure | Aperture House; Silverline Optics; Darkroom Collective; Northlight
Cameras; Prism Lab; Fieldglass | at dusk; in low light; on a tripod; at wide apertures; for
street portraits; in harsh midday sun | mm seconds MB

gardening | soil compost seedling harvest yield crop rotation mulch irrigation orchard
greenhouse fertiliser pest graft cultivar seed pollination tillage hedge tuber vine pruning
blight manure frost | organic perennial heirloom drought-tolerant raised no-dig frost-hardy
loamy heavy-cropping early | Thornfield Allotments; Greenhaven Seeds; Orchard & Vine; Rootstock
Co-op; Wildacre Farm; Hollybrook Nursery | in heavy clay; after the last frost; in the second
season; under cloches; in a wet spring; on south-facing beds | kg cm t

productivity | habit attention focus memory procrastination motivation routine journal
reflection deadline inbox meeting distraction flow burnout reward goal review checklist
interruption willpower notebook backlog sprint | deep shallow intrinsic extrinsic daily weekly
spaced deliberate reactive mindful | Quiet Hours Co; Cortex Notes; Zettel Guild; Morning Pages
Club; Tidy Desk Institute; Slowmind | in the afternoon slump; after a week of tracking; for
knowledge workers; on busy days; with notifications off; in open-plan offices | minutes hours

space | orbit satellite telescope launch rocket booster payload exoplanet comet asteroid galaxy
nebula spectrum mirror probe lander rover crater eclipse debris constellation antenna thruster
propellant capsule | geostationary reusable crewed lunar Martian deep-space infrared
interstellar solar faint | Perihelion Space; Vanta Orbital; Corvid Launch; Skyhook Labs; Ionis
Probe; Halley Array | in low Earth orbit; on the far side; after the second burn; at perigee;
during the launch window; in the infrared band | km t kg

law | statute court ruling appeal contract clause liability tenant landlord regulator directive
compliance precedent fine audit disclosure consent privacy tribunal jurisdiction amendment
ombudsman injunction patent | binding statutory contractual retroactive cross-border
proportionate criminal civil mandatory voluntary | Harcourt Chambers; Lexfield LLP; Ombudsman
North; Charter Commission; Redgrave Tribunal; Ashgrove Court | under the new directive; on
appeal; for small landlords; in cross-border cases; after the ruling; in most jurisdictions |
months years

retail | basket checkout inventory warehouse shipment return refund discount coupon loyalty
footfall storefront marketplace seller listing conversion cart courier parcel pallet supplier
markdown subscription margin | omnichannel seasonal same-day bulk direct-to-consumer wholesale
second-hand own-brand impulse repeat | Parcelly; Market Row; Shopwright; Crate & Co; Bazaar
North; Tillpoint | in the holiday season; for repeat customers; after free shipping; on mobile;
in small towns; across the marketplace | days kg

travel | flight airport runway itinerary layover visa hostel fare luggage passport route carrier
lounge delay booking ferry border hotel check-in jet-lag cabin seat railpass terminal |
long-haul overnight direct low-cost off-season scenic domestic overland last-minute
transatlantic | Skylark Air; Waypoint Travel; Nomad Rail; Azure Ferries; Compass Hostels;
Bluejay Airways | in the off-season; on long-haul routes; for solo travellers; with a rail pass;
in shoulder months; after the schedule change | km hours kg

manufacturing | alloy weld casting tolerance lathe press mould resin composite fibre steel
polymer coating fatigue fracture furnace batch defect extrusion bearing fastener sintering die
tooling | brittle ductile heat-treated lightweight corrosion-resistant recycled machined
additive high-strength annealed | Forgeworks; Alloyance; Meltline; Castleford Steel; Polymera;
Ironbridge Works | at high temperatures; after heat treatment; in small batches; under cyclic
load; on the new press; at full volume | mm °C t

macroeconomics | inflation wage rate unemployment deficit debt currency export tariff
productivity output recession stimulus housing rent consumption investment credit exchange-rate
budget remittance pension tax | fiscal monetary structural cyclical nominal sticky expansionary
contractionary informal aggregate | Central Bank of Ostria; Ledger Institute; Fairhaven
Treasury; Statwise Bureau; Mercator Economics; Bellweather Research | in the second quarter;
after the rate rise; in emerging markets; over the business cycle; in real terms; since the
currency peg | years months

languages | vocabulary grammar verb accent dialect pronunciation tense syntax idiom phrase
translation fluency flashcard immersion subtitle script morpheme loanword etymology conjugation
corpus spelling tutor register | tonal inflected native colloquial formal regional phonetic
bilingual spoken archaic | Polyglot Circle; Lingua Franca Lab; Wordhoard; Babel Books; Glossa;
Runestone Press | in the first six months; for adult learners; with daily practice; in spoken
registers; after immersion; in written exams | hours minutes weeks

chess | opening endgame gambit pawn rook bishop knight blunder tactic rating tournament engine
puzzle move position variation sacrifice castling clock draw checkmate repertoire middlegame
exchange | positional tactical sharp closed aggressive solid rapid classical theoretical forcing
| Caissa Club; Rookhaven; Gambit Quarterly; Endgame Studio; Blitz Arena; Openings Atlas | in
rapid games; at club level; in the middlegame; after the exchange; against stronger players;
with the black pieces | minutes seconds

housing | insulation roof window boiler radiator damp timber brick plaster floorboard loft
extension ventilation draught joist rafter wiring plumbing sealant foundation render glazing
hearth staircase | double-glazed load-bearing breathable period timber-framed damp-proof
airtight retrofit solid-wall reclaimed | Brickwell Builders; Hearth & Home; Retrofit Guild;
Timberline Joinery; Plumbline Surveyors; Stonegate Works | in older houses; over the winter;
after the retrofit; in solid-wall homes; for tenants; on north-facing walls | mm kWh °C
""".strip().split("\n\n")]
REAL_OPENERS = ["In practice,", "By contrast,", "Over time,", "On current evidence,", "As a rule,",
                "Put simply,", "Historically,", "In my experience,", "Surprisingly,", "In most cases,",
                "Notably,", "At first glance,"]
REAL_TAILS = ["in the long run", "in most cases", "at least for now", "more often than not",
              "in the short run", "on closer inspection"]
GENERIC_NOUNS = (
    "ability absence access accident achievement acquisition activity adjustment advantage advice "
    "affair agenda aim allowance alternative amount analysis anchor anxiety appetite application "
    "appointment archive argument arrangement article aspect assessment asset assumption "
    "atmosphere attempt attitude audience authority average awareness background balance barrier "
    "basis behaviour belief benefit bias boundary branch breakdown breakthrough brief buffer "
    "burden campaign candidate capital career category cause caution ceiling challenge channel "
    "chapter character charge check circle circumstance claim clarity class client climate "
    "cluster coalition code collapse collection combination comfort commitment comparison "
    "compensation competition complaint component compromise concept concern conclusion "
    "confidence conflict confusion connection consensus consequence consideration consistency "
    "contact content contest contract contribution control convention conversation conviction "
    "core correction coverage credibility crisis criterion critique culture curiosity current "
    "curve custom damage deadline deal default defence definition delay delivery density "
    "departure dependency deposit depth description desire destination detour development device "
    "diagnosis dialogue dimension direction discipline discount discovery discussion display "
    "distance distinction distribution division document domain dominance doubt driver duty "
    "dynamic edge edition element emphasis encounter energy engagement enquiry entry environment "
    "episode equation equilibrium error essence evaluation event evolution exchange excuse "
    "exercise expansion expectation expense experiment expertise explanation exposure extension "
    "extent fabric facility faith fashion fault favour fear feedback field finding flaw "
    "flexibility flow footprint force forecast format formula foundation fraction frame freedom "
    "frequency frontier function fund gain gap gesture goal grasp ground guarantee guess guidance "
    "handful harm heritage hierarchy highlight history hurdle identity image imbalance "
    "implication impression improvement incident income index indicator influence initiative "
    "injury insight instance instinct instruction integrity intensity intention interest interval "
    "intervention interview intuition inventory investment irony item journey judgement "
    "justification key label landscape layer leadership leap learning legacy leverage licence "
    "lifecycle likelihood link list load location logic loop loyalty luxury machinery maintenance "
    "majority manner map margin mark mechanism medium membership memo message metaphor metric "
    "minority mission mix mode model moment motive movement myth need negotiation niche norm note "
    "notion objective obligation observation occasion offer opinion order organisation "
    "orientation origin outlook overview ownership pace package parameter participation partner "
    "passage path patience payment peak penalty percentage permission perspective phase "
    "phenomenon philosophy picture piece pilot pitch platform point portion position possibility "
    "potential power precision prediction preference premise premium preparation presence "
    "presentation preview price procedure profile promise proof property proportion prospect "
    "protection protocol provision purpose quantity quota range ranking ratio reaction reality "
    "recovery reduction reference reflection reform region regulation relationship relevance "
    "reliability remedy reputation reserve resistance resolution restriction revenue reward "
    "rhythm ritual rivalry route safeguard sample scenario scheme scrutiny season sector security "
    "selection sense sentiment series service session setting share shortage shortcut sign "
    "similarity situation slot snapshot source space span specification spectrum spirit stake "
    "stance statement status stimulus stock story strategy stream stress stretch study style "
    "subject substance summary supervision support surface survey suspicion symptom synthesis "
    "tactic talent tempo tendency term territory texture theme theory thread threat timeline "
    "timing tolerance topic total track tradition transition transparency treatment trial trigger "
    "turnover tweak uncertainty understanding unit upgrade urgency usage utility variable "
    "variation venture verdict view visibility vision voice wave wealth welfare willingness "
    "yardstick zone"
).split()
GENERIC_ADJ = (
    "absent abstract abundant accurate active adequate aggressive ambitious ample ancient annual "
    "apparent arbitrary awkward basic bitter blunt brief brittle broad busy calm capable careful "
    "casual central cheap chronic clear clumsy coherent cold common compact complete complex "
    "concrete confident consistent constant costly crucial crude curious current decent deep "
    "deliberate dense direct distant distinct diverse dominant dramatic dull durable dynamic "
    "eager early easy efficient elaborate elegant empty endless enormous entire essential even "
    "evident exact excessive explicit extreme fair familiar fast feasible fierce final firm flat "
    "flexible fluid fragile frequent fresh frugal full generous gentle genuine global gradual "
    "grand heavy hidden high honest huge ideal idle immediate implicit informal initial intense "
    "internal invisible isolated key lasting late lean legitimate light likely limited literal "
    "live local loose loud low loyal main major manual marginal mature mild minor misleading "
    "mobile moderate modest narrow natural neat nervous neutral noisy notable novel obscure "
    "obvious odd open optimal ordinary original overdue overlooked partial passive patient "
    "peculiar persistent plain plausible polite poor popular practical precise predictable "
    "premature pressing primary prior private prolonged prominent proper public quiet radical "
    "random rapid rare raw realistic recent redundant reliable remote repeated robust rough "
    "routine rural safe scarce secondary selective sensible serious severe shallow sharp short "
    "significant silent similar simple sincere slight slow small smooth soft solid sparse "
    "specific speculative stable stark static steady steep stiff straightforward strict striking "
    "strong subtle sudden sufficient superficial sustained swift tacit tangible temporary "
    "tentative thin thorough tight timely tiny total tough traditional transparent tricky trivial "
    "typical uneven unique unlikely unstable unusual urgent useful vague valid vast visible vital "
    "volatile vulnerable warm weak wide wild"
).split()
REAL_VERBS = VERBS + [v.split("/") for v in (
    "absorbs/absorb accelerates/accelerate amplifies/amplify anticipates/anticipate blocks/block "
    "boosts/boost challenges/challenge clarifies/clarify complements/complement "
    "constrains/constrain crowds/crowd delays/delay destabilises/destabilise dilutes/dilute "
    "distorts/distort enables/enable encourages/encourage exceeds/exceed exposes/expose "
    "favours/favour fragments/fragment hides/hide hinders/hinder inflates/inflate informs/inform "
    "masks/mask mirrors/mirror mimics/mimic neutralises/neutralise obscures/obscure "
    "outlasts/outlast overshadows/overshadow pressures/pressure protects/protect "
    "reinforces/reinforce reshapes/reshape resists/resist reveals/reveal rivals/rival "
    "sharpens/sharpen shields/shield simplifies/simplify softens/soften steers/steer "
    "stretches/stretch sustains/sustain tests/test threatens/threaten triggers/trigger "
    "unlocks/unlock "
).split()]
HEDGES = ["likely", "unclear", "plausible", "doubtful", "striking", "no accident", "telling"]
GENERIC_TAILS = ["for most people", "within a year", "when budgets are tight", "in small teams",
                 "over several seasons", "once the novelty wears off", "in the first month",
                 "when nobody is watching", "after a slow start", "under pressure", "in hindsight",
                 "for beginners", "in the worst case", "on paper at least", "with enough practice",
                 "by most accounts", "in the data so far", "when measured carefully", "for now",
                 "year after year"]
REAL_PLAIN = PLAIN + ["unlike {c}, {a} {v} {b}", "{a} {v} {b} only if {c} {v2} {d}",
                      "{a} {v} {b} because {c} {v2} {d}", "without {c}, {a} {v} {b} {t}",
                      "{a} and {c} both {base} {b}", "it is {h} that {a} {v} {b}",
                      "{a} rarely {base} {b} {t}", "{o} {a} {v} {b} while {c} {v2} {d}"]
REAL_WITH_FIGURE = WITH_FIGURE + ["{a} {v} {b}; one estimate puts it at {f}",
                                  "{o} {a} {v} {b} ({f} in one count)", "{c} sits at {f}, while {a} {v} {b}"]
FACTS_PER_AREA = 400
"""Measured facts per area (--realistic); at 10k notes each is stated about 4 times."""
DISAGREE = 0.04
"""Share of the statements of a fact that give another figure than its own (--realistic)."""
GENERATION = "realistic-2: figures state each area's facts"
"""What kg.toml of a --realistic vault records: bump when the realistic vault changes."""
REPORTS = ["The source finds that", "It reports that", "The authors note that", "Per the article,",
           "One study says", "The write-up argues that"]


@dataclass
class Vocab:
    """The words sentences are made of: one Vocab for the default vault, one per area with
    --realistic."""
    adj: list[str]
    noun: list[str]
    entities: list[str]
    verbs: list[list[str]]
    tails: list[str]
    openers: list[str]
    tags: list[str]
    code_spans: list[str]
    figure: Callable[[random.Random], str]
    plain: list[str] = field(default_factory=lambda: PLAIN)  # sentence templates
    with_figure: list[str] = field(default_factory=lambda: WITH_FIGURE)
    generic: list[str] = field(default_factory=list)  # "the {generic} of the grid" (--realistic)
    figure_share: float = 1.0  # scales how often a sentence carries a figure
    facts: list[Fact] = field(default_factory=list)  # what its figures are said of (--realistic)


@dataclass(frozen=True)
class Fact:
    """One measured fact of an area (--realistic): its sentence, with {f} where the figure goes."""
    text: str
    after_opener: str  # the text as it reads after "In practice," (a name keeps its capital); "" if it has one
    form: int  # of wide_figure
    unit: str
    figure: str

    def stated(self, rng: random.Random) -> str:
        """The fact in a note or source: its own figure, or (DISAGREE) another of the same kind."""
        figure = self.figure
        if rng.random() < DISAGREE:
            while figure == self.figure:
                figure = wide_figure(rng, [self.unit], self.form)
        if rng.random() < 0.3 and self.after_opener:  # restated, not copied: an opener in front
            return f"{rng.choice(REAL_OPENERS)} {self.after_opener}".replace("{f}", figure)
        return self.text.replace("{f}", figure)


@dataclass
class Note:
    idx: int
    name: str
    title: str
    folder: str
    kind: str
    headings: list[str]
    area: int = 0
    words: int = 0  # planned length (--realistic); 0: drawn when the note is written


@dataclass
class Style:
    """How notes and sources are shaped: the defaults are the historical stress-test vault."""
    realistic: bool = False
    words: tuple[int, int] | None = None  # uniform note length; None: 300..1,500, or log-normal
    n_src: int = 0
    areas: int = 2
    sources: list[list[tuple[str, bool]]] = field(default_factory=list)  # sentences, has figure
    by_area: dict[int, list[int]] = field(default_factory=dict)  # area -> its sources


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def figure(rng: random.Random) -> str:
    return rng.choice(FIGURES)(rng, rng.randint(2, 40), "–" if rng.random() < 0.8 else "-")


def wide_figure(rng: random.Random, units: list[str], form: int | None = None) -> str:
    """A figure from a wide range (--realistic), of the given form (0-6) or any: the same figure
    twice is rare."""
    form = rng.randrange(7) if form is None else form
    if form == 0:
        return f"{rng.uniform(0.5, 95):.1f}%"
    if form == 1:
        a = rng.randint(1, 80)
        return f"{a}{'–' if rng.random() < 0.8 else '-'}{a + rng.randint(2, 19)}%"
    if form == 2:
        return f"{rng.uniform(1.1, 12):.1f}x"
    if form == 3:
        return f"${rng.randint(12, 99_000) * 10:,}"
    if form == 4:
        total = rng.randint(6, 90)
        return f"{rng.randint(1, total - 1)} of {total}"
    value = 10 ** rng.uniform(0, 4)
    number = f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{round(value):,}"
    return f"{number} {rng.choice(units)}"


@lru_cache(maxsize=None)
def topic_vocab(area: int) -> Vocab:
    """The vocabulary of an area with --realistic: its topic's words, and its own draw of generic
    nouns, adjectives and phrases (so two areas on one topic still differ), generic verbs."""
    name, nouns, adjs, names, tails, units = TOPICS[area % len(TOPICS)]
    nouns, units = nouns.split(), units.split()
    tags = [name, f"{name}/{nouns[0]}", f"{name}/{nouns[1]}", "reading", "idea"]
    topical = {w for t in TOPICS for w in t[1].split()}
    pick = random.Random(area)  # the area's draw; the vault's own rng is untouched
    generic = pick.sample([w for w in GENERIC_NOUNS if w not in topical], 120)
    v = Vocab(adjs.split() + pick.sample(GENERIC_ADJ, 40), nouns, names.split("; "), REAL_VERBS,
              tails.split("; ") + pick.sample(GENERIC_TAILS, 8) + REAL_TAILS, REAL_OPENERS, tags, [],
              lambda rng: wide_figure(rng, units), REAL_PLAIN, REAL_WITH_FIGURE, generic, 0.6)
    for _ in range(FACTS_PER_AREA):
        form, unit = pick.randrange(7), pick.choice(units)
        text = fill(pick.choice(v.with_figure), pick, v, f="{f}")
        lowered = "" if text.startswith(tuple(v.openers)) else \
            text if text.startswith(tuple(v.entities)) else text[0].lower() + text[1:]
        v.facts.append(Fact(text, lowered, form, unit, wide_figure(pick, [unit], form)))
    return v


DEFAULT = Vocab(ADJ, NOUN, ENTITIES, VERBS, TAILS, OPENERS, TAGS, CODE_SPANS, figure)


def noun_phrase(rng: random.Random, v: Vocab) -> str:
    if v.generic:
        return topic_phrase(rng, v)
    if rng.random() < 0.1:
        return rng.choice(v.entities)
    adj = rng.choice(v.adj) + " " if rng.random() < 0.6 else ""
    nouns = " ".join(rng.sample(v.noun, 2)) if rng.random() < 0.3 else rng.choice(v.noun)
    return f"the {adj}{nouns}"


def topic_phrase(rng: random.Random, v: Vocab) -> str:
    """A noun phrase with --realistic: a third are generic words only ("the costly baseline"),
    the rest hold a topic noun, often under a generic one ("the baseline of the grid")."""
    r = rng.random()
    if r < 0.08:
        return rng.choice(v.entities)
    adj = rng.choice(v.adj) + " " if rng.random() < 0.5 else ""
    if r < 0.4:
        return f"the {adj}{rng.choice(v.generic)}"
    nouns = " ".join(rng.sample(v.noun, 2)) if rng.random() < 0.2 else rng.choice(v.noun)
    if r < 0.7:
        return f"the {rng.choice(v.generic)} of the {adj}{nouns}"
    return f"the {adj}{nouns}"


def fill(template: str, rng: random.Random, v: Vocab, **extra: str) -> str:
    """Fill a template's {a} {b} (noun phrases), {v}/{base} (verb), {t}, {o}, {n}, {m}; and
    {c} {d} (noun phrases), {v2} (verb), {h} (hedge) when it has them."""
    for key in ("c", "d"):
        if "{" + key + "}" in template:
            extra[key] = noun_phrase(rng, v)
    if "{v2}" in template:
        extra["v2"] = rng.choice(v.verbs)[0]
    if "{h}" in template:
        extra["h"] = rng.choice(HEDGES)
    verb = rng.choice(v.verbs)
    s = template.format(a=noun_phrase(rng, v), b=noun_phrase(rng, v), v=verb[0], base=verb[1],
                        t=rng.choice(v.tails), o=rng.choice(v.openers), n=rng.choice(v.noun),
                        m=rng.randint(2, 9) * 6, **extra)
    return s[0].upper() + s[1:]


def sentence(rng: random.Random, v: Vocab, fig_p: float = 0.35) -> str:
    """A claim-like sentence; with probability fig_p it carries a figure."""
    if rng.random() < fig_p * v.figure_share:
        s = rng.choice(v.facts).stated(rng) if v.facts else fill(rng.choice(v.with_figure), rng, v, f=v.figure(rng))
    else:
        s = fill(rng.choice(v.plain), rng, v)
    if rng.random() < 0.04:
        s += " #" + rng.choice(v.tags)
    if v.code_spans and rng.random() < 0.015:
        s += " using " + rng.choice(v.code_spans)
    return s + "."


def make_title(kind: str, rng: random.Random, v: Vocab) -> str:
    if kind == "person":
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if kind == "org":
        return f"{rng.choice(ORGS)} {rng.choice(ORG_SUFFIX)}"
    if kind == "question":
        return fill("Does the {n} {base} {b}", rng, v)
    return fill(f"{rng.choice(v.adj)} {' '.join(rng.sample(v.noun, 2))}", rng, v)


def area_count(n: int) -> int:
    return max(2, int(n ** 0.4) // 2)


def vocab_of(area: int, style: Style) -> Vocab:
    return topic_vocab(area) if style.realistic else DEFAULT


def note_words(rng: random.Random, style: Style) -> int:
    """A note's planned length with --realistic (see the module docstring)."""
    if style.words:
        return rng.randint(*style.words)
    return min(1500, max(40, round(rng.lognormvariate(math.log(150), 0.9))))


def realistic_headings(words: int, rng: random.Random) -> list[str]:
    """The "##" sections of a note of this length: longer notes have more; ~30% have Evidence."""
    odds = {"Key insights": 0.15 + words / 1500, "Evidence": 0.3, "Implications": words / 1200,
            "Details": words / 900, "Contradictions / tensions": 0.06 + words / 6000,
            "Open questions": 0.15, "Related": 0.4}
    return [h for h in HEADINGS if rng.random() < odds.get(h, 0.0)]


def plan_notes(n: int, rng: random.Random, style: Style) -> list[Note]:
    """Names, titles, folders and headings of all notes; an area is a run of consecutive notes."""
    areas = area_count(n)
    topics = max(1, n // 40 // areas)  # topic folders per area
    seen: set[str] = set()
    notes = []
    for idx in range(n):
        area = idx * areas // n
        kind = rng.choices(["concept", "person", "org", "question"], [70, 10, 8, 12])[0]
        base = make_title(kind, rng, vocab_of(area, style))
        title, i = base, 2
        while slug(title) in seen:  # file names are unique across folders
            title, i = f"{base} {i}", i + 1
        seen.add(slug(title))
        folder = f"notes/area-{area + 1}"
        if rng.random() > 0.1:
            folder += f"/topic-{area * topics + rng.randrange(topics) + 1}"
        if style.realistic:
            words = note_words(rng, style)
            heads = realistic_headings(words, rng)
        else:
            words = 0
            heads = ["Summary"] + sorted(rng.sample(HEADINGS[1:], rng.randint(3, 7)), key=HEADINGS.index)
        notes.append(Note(idx, slug(title), title, folder, kind, heads, area, words))
    return notes


def make_link(note: Note, notes: list[Note], rng: random.Random, plain: bool = False) -> str:
    """A wikilink from note: half to nearby notes (mostly its own area), ~3% unresolved."""
    r = 1.0 if plain else rng.random()
    if r < 0.03:
        return f"[[{slug(make_title('concept', rng, DEFAULT))}-{rng.choice(['draft', 'todo'])}]]"
    j = note.idx + rng.randint(-40, 40) if rng.random() < 0.5 else rng.randrange(len(notes))
    j = j % len(notes) if j % len(notes) != note.idx else (j + 1) % len(notes)
    target = notes[j]
    if r < 0.13:
        return f"[[{target.name}|{target.title.lower()}]]"
    if r < 0.25 and target.headings:
        return f"[[{target.name}#{rng.choice(target.headings)}]]"
    return f"[[{target.name}]]"


def items(rng: random.Random, v: Vocab, fig_p: float, n: int) -> list[str]:
    return [" ".join(sentence(rng, v, fig_p) for _ in range(rng.randint(1, 2))) for _ in range(n)]


def evidence(rng: random.Random, v: Vocab, n_src: int) -> str:
    cite = f" [[sources/src-{rng.randrange(n_src) + 1:04d}]]" if n_src else ""
    return sentence(rng, v, 0.9)[:-1] + cite + "."


def source_area(i: int, style: Style) -> int:
    """The area of source i (0-based): sources are split into areas in order, as notes are."""
    return i * style.areas // style.n_src


def cited(rng: random.Random, v: Vocab, area: int, style: Style) -> str:
    """An Evidence item with --realistic: a source's sentence (with a figure when it has one)
    restated and cited; the source is of the note's area 85% of the time."""
    if not style.n_src:
        return sentence(rng, v, 0.9)
    if not style.by_area:
        for i in range(style.n_src):
            style.by_area.setdefault(source_area(i, style), []).append(i)
    own = style.by_area.get(area) if rng.random() < 0.85 else None
    src = rng.choice(own) if own else rng.randrange(style.n_src)
    sentences = style.sources[src]
    pick = rng.choice([s for s, fig in sentences if fig] or [s for s, _ in sentences])
    if not pick.startswith(tuple(v.entities)):
        pick = pick[0].lower() + pick[1:]
    return f"{rng.choice(REPORTS)} {pick[:-1]} [[sources/src-{src + 1:04d}]]."


def tension(rng: random.Random, v: Vocab) -> str:
    return f"{sentence(rng, v, 0.6)[:-1]}, whereas {sentence(rng, v, 0.6).replace('The ', 'the ', 1)}"


def count_words(blocks: list) -> int:
    return sum(len(t.split()) for kind, its in blocks if kind in ("p", "ul", "ol") for t in its)


def section_blocks(head: str, budget: int, rng: random.Random, note: Note, style: Style,
                   code: str | None) -> list:
    """The [kind, items] blocks of one section; add_links fills in the links later."""
    v, real = vocab_of(note.area, style), style.realistic
    if head == "Related":
        return [["related", [None] * (rng.randint(1, 4) if real else rng.randint(2, 5))]]
    if head == "Open questions":
        n = rng.randint(1, 3) if real else rng.randint(2, 6)
        return [["ul", [fill(rng.choice(QUESTIONS), rng, v) + "?" for _ in range(n)]]]
    blocks: list = []
    if head == "Key insights":
        blocks.append(["ol", items(rng, v, 0.5, rng.randint(2, 4) if real else rng.randint(3, 6))])
    elif head == "Evidence" and real:
        blocks.append(["ul", [cited(rng, v, note.area, style) for _ in range(rng.randint(1, 3))]])
    elif head == "Evidence":
        blocks.append(["ul", [evidence(rng, v, style.n_src) for _ in range(rng.randint(2, 6))]])
    elif head == "Contradictions / tensions":
        blocks.append(["ul", [tension(rng, v) for _ in range(rng.randint(1, 2 if real else 4))]])
    if head in ("Evidence", "Key insights", "Contradictions / tensions") and rng.random() < 0.3:
        blocks.append(["field", ["opposes" if head.startswith("Contra") else "supports", None]])
    if head == code:  # the fenced block's [[not-a-link]] must not count as a link
        blocks.append(["code", [f"```text\n{rng.choice(v.noun)}: [[not-a-link]]\nkg build\n```"]])
    words = count_words(blocks)
    while words < budget:
        n = min(rng.randint(2, 6), (budget - words) // 12 + 1)  # the last block just fits
        after_list = blocks and blocks[-1][0] in ("ul", "ol")  # adjacent lists would merge
        if rng.random() < 0.75 or n < 3 or after_list:
            blocks.append(["p", [sentence(rng, v) for _ in range(n)]])
        else:
            blocks.append([rng.choice(["ul", "ol"]), items(rng, v, 0.4, n)])
        words += count_words(blocks[-1:])
    return blocks


def add_links(sections: list, note: Note, notes: list[Note], rng: random.Random, style: Style) -> None:
    """Fill Related lists and fields, maybe add an embed, inject the rest into sentences."""
    left = rng.randint(1, 4) + note.words // 50 if style.realistic else rng.randint(5, 25)
    for kind, its in (b for _, bs in sections for b in bs):
        if kind == "related":
            its[:] = [make_link(note, notes, rng) for _ in its]
            left -= len(its)
        elif kind == "field":
            its[1] = make_link(note, notes, rng, plain=True)
            left -= 1
    if rng.random() < 0.15:
        embed = "!" + make_link(note, notes, rng, plain=True)
        rng.choice([bs for h, bs in sections if h != "Related"]).append(["embed", [embed]])
        left -= 1
    slots = [(its, i) for h, bs in sections if h != "Related"
             for kind, its in bs if kind in ("p", "ul", "ol") for i in range(len(its))]
    for its, i in rng.sample(slots, min(len(slots), max(left, 0))):
        link = rng.choice(CONNECT).format(make_link(note, notes, rng))
        its[i] = f"{its[i][:-1]} {link}{its[i][-1]}"  # before the final "." or "?"


def render_block(kind: str, its: list, head: str, rng: random.Random, ids) -> str:
    if kind in ("p", "code", "embed"):
        return " ".join(its)
    if kind == "field":
        return f"{its[0]}:: {its[1]}"
    lines = []
    for n, item in enumerate(its, 1):
        if kind != "related" and head != "Open questions" and rng.random() < 0.12:
            item += f" ^b{next(ids)}"
        lines.append(f"{n}. {item}" if kind == "ol" else f"- {item}")
    return "\n".join(lines)


def yaml_list(key: str, values: list[str]) -> str:
    return f"{key}:" + "".join(f"\n  - {v}" for v in values) if values else f"{key}: []"


def rand_date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28)


def render_note(note: Note, notes: list[Note], rng: random.Random, style: Style) -> str:
    if style.realistic:  # an untitled opening, then sections; H1, headings, links and the last
        # sentence past the budget add ~20 words, and a few more per 50 words (links)
        budget = note.words * 9 // 10 - 20 - 3 * len(note.headings) - 3 * (note.words // 50)
        headings = [""] + note.headings
    else:
        budget = rng.randint(*(style.words or (300, 1500))) - 120  # headings, list markers, links: ~120 words
        headings = note.headings
    fills = [h for h in headings if h not in ("Related", "Open questions")]
    code = ("Details" if "Details" in fills else fills[-1]) if rng.random() < 0.1 else None
    sections, left = [], len(fills)
    for h in headings:  # each section gets an equal share of the words still to write
        share = budget // left if h in fills else 0
        left -= h in fills
        sections.append((h, section_blocks(h, share, rng, note, style, code)))
        budget -= count_words(sections[-1][1])
    add_links(sections, note, notes, rng, style)
    acronym = "".join(w[0] for w in note.title.split()).upper()
    aliases = rng.sample([note.title.lower(), acronym, f"{note.title} (note)"], rng.randint(0, 2))
    y, m, d = rand_date(rng)
    tags = vocab_of(note.area, style).tags
    front = ["---", f"title: {note.title}", yaml_list("aliases", aliases),
             yaml_list("tags", rng.sample(tags, rng.randint(1, 3))),
             f"type: {note.kind}", f"date: {y}-{m:02d}-{d:02d}", "---", "", f"# {note.title}"]
    ids = itertools.count(rng.randint(1, 900))
    body = [(f"\n## {h}\n\n" if h else "\n") + "\n\n".join(render_block(*b, h, rng, ids) for b in bs)
            for h, bs in sections]
    return "\n".join(front + body) + "\n"


def render_source(i: int, rng: random.Random, style: Style) -> tuple[str, str]:
    """(file name, text) of source i: Markdown with front matter or, ~20%, plain text. With
    --realistic its sentences are kept in style.sources, for notes to cite."""
    v = topic_vocab(source_area(i - 1, style)) if style.realistic else DEFAULT
    title = fill("{a} {v} {b}", rng, v)
    author, publisher = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(PUBLISHERS)
    y, m, d = rand_date(rng)
    paras, words, target = [], 0, rng.randint(400, 1500) if style.realistic else rng.randint(300, 1200)
    kept: list[tuple[str, bool]] = []
    while words < target:
        said = [sentence(rng, v, 0.5) for _ in range(rng.randint(3, 7))]
        kept += [(s, any(c.isdigit() for c in s)) for s in said]
        paras.append(" ".join(said))
        words += len(paras[-1].split())
    if style.realistic:
        style.sources.append(kept)
    body = "\n\n".join(paras) + "\n"
    if rng.random() < 0.2:
        return f"src-{i:04d}.txt", f"{title}\n{author} {calendar.month_name[m]} {d}, {y}\n\n{body}"
    url = f"https://{slug(publisher)}.example.com/{y}/{slug(title)}"
    front = (f'---\ntitle: "{title}"\nauthor: {author}\ndate: {y}-{m:02d}-{d:02d}\n'
             f"publisher: {publisher}\nurl: {url}\n---\n\n# {title}\n\n")
    return f"src-{i:04d}.md", front + body


def prepare_out(out: Path, force: bool, style: Style) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            sys.exit(f"make_vault: {out} exists and is not empty "
                     "(--force replaces its notes/ and sources/)")
        for sub in ("notes", "sources"):
            shutil.rmtree(out / sub, ignore_errors=True)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    made = f" ({GENERATION})" if style.realistic else ""
    (out / "kg.toml").write_text(f"# synthetic vault from bench/make_vault.py{made}; kg defaults\n")


def word_range(text: str) -> tuple[int, int]:
    """argparse type of --words: "LOW-HIGH" -> (LOW, HIGH)."""
    m = re.fullmatch(r"(\d+)-(\d+)", text.strip())
    if not m or not 0 < int(m[1]) <= int(m[2]):
        raise argparse.ArgumentTypeError("expected LOW-HIGH, e.g. 40-1500")
    return int(m[1]), int(m[2])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Generate a synthetic vault for benchmarking kg.")
    ap.add_argument("n", type=int, help="number of notes (at least 2)")
    ap.add_argument("--out", type=Path, help="output folder (default bench/vaults/vault-N)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--sources", type=int, help="number of sources (default N // 10)")
    ap.add_argument("--force", action="store_true", help="replace notes/ and sources/ in DIR")
    ap.add_argument("--realistic", action="store_true",
                    help="shape notes like a personal vault: long-tailed lengths, a topic per area, "
                         "sparse evidence, wide-ranging figures")
    ap.add_argument("--words", type=word_range, metavar="LOW-HIGH",
                    help="note length drawn uniformly from LOW..HIGH words (default 300-1500)")
    args = ap.parse_args(argv)
    n_src = args.n // 10 if args.sources is None else args.sources
    if args.n < 2 or n_src < 0:
        ap.error("N must be at least 2 and M at least 0")
    default_out = f"vault-{args.n}" + ("-realistic" if args.realistic else "")
    out = args.out or Path(__file__).resolve().parent / "vaults" / default_out
    style = Style(args.realistic, args.words, n_src, area_count(args.n))
    start, rng = time.perf_counter(), random.Random(args.seed)
    prepare_out(out, args.force, style)
    notes = plan_notes(args.n, rng, style)
    for folder in sorted({n.folder for n in notes}):
        (out / folder).mkdir(parents=True, exist_ok=True)
    size = 0
    sources = []
    if style.realistic:  # first, so that Evidence sections can restate their sentences
        sources = [render_source(i, rng, style) for i in range(1, n_src + 1)]
    lengths = []
    for note in notes:
        text = render_note(note, notes, rng, style)
        lengths.append(len(text.split()))
        size += (out / note.folder / f"{note.name}.md").write_bytes(text.encode())
    if not style.realistic:
        sources = (render_source(i, rng, style) for i in range(1, n_src + 1))
    for name, text in sources:
        size += (out / "sources" / name).write_bytes(text.encode())
    median = f", median {statistics.median(lengths):.0f}" if style.realistic else ""
    print(f"make_vault: {args.n} notes (avg {sum(lengths) // args.n} words{median}), {n_src} sources, "
          f"{size / 1e6:.1f} MB, {time.perf_counter() - start:.1f} s -> {out}")


if __name__ == "__main__":
    main()
