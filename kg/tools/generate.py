"""Synthetic profile pages with known truth: the identity benchmark's and the parser's scale input.

``kg generate --papers N --out DIR [--seed S]`` writes ``DIR/profiles/**.txt``
in the site's format (``shared/docs/PROFILE_FORMAT.md``) and ``DIR/truth.json``,
which says who and what every mention is. The same seed gives the same bytes.

The world it draws, and why:

* **People** in **labs** (communities): one or two principal investigators on
  most of a lab's papers, members on some, outside collaborators on a few.
  Names come from realistic pools: Chinese names in pinyin (about half), Western
  names (some with diacritics, particles, apostrophes, hyphens, middle names),
  and Russian, Arabic, Indian, Japanese and Korean names. Full names are unique
  except for deliberate **homonyms** (two people, one name, in different labs:
  the ambiguity case) and a few **movers** who publish with two labs.
* **Name variants**, per mention, as the papers' metadata would have them:
  initials (``J. Smith``, ``J. R. Smith``), a dropped or initialled middle
  name, diacritics dropped, ``Yi-Fan`` / ``Yifan`` / ``Yi Fan``, family name
  first (``Zhang Yifan``), transliterations (``Aleksandr`` / ``Alexander``),
  rare typos; some papers initial their whole author list. Hard distractors
  come for free: many people share a surname, and initials collide.
* **Papers**: titles from a grammar, unique per title key; abstracts with the
  markup the site shows (``$...$``, ``\\textbf``, ``\\%``, code links);
  near-titled **sibling** papers (one word changed, often the same authors, a
  different abstract) that must not merge; cross-listed papers whose title is
  written slightly differently in one profile (true near-duplicates).
* **Pages**: about 20 papers per profile, site order; the variations of
  PROFILE_FORMAT.md in realistic proportions: full headers, headerless files,
  headers without a name, layout B (title and authors glued), yearless dates
  (the copy year), ``Code`` flags, affiliation tags, ``et al.`` (exactly three
  names shown when a list is longer), truncated pages, no final newline.

``truth.json``::

    {"format": "kg-generate-truth/1", "seed": S, "as_of": "YYYY-MM-DD",
     "files": [{"file": "profiles/000/000001_....txt", "owner": PERSON,
                "owner_name": "...", "entries": [[LINE, PAPER, "title",
                [["written name", PERSON], ...], TRUNCATED], ...]}, ...],
     "persons": {"PERSON": "canonical name", ...},
     "siblings": [[PAPER, PAPER], ...], "homonyms": [[PERSON, PERSON], ...],
     "stats": {...}}

Files are written one lab at a time, so memory stays flat as N grows.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from kg.normalize import title_key

__all__ = ["GenerateStats", "generate"]

TRUTH_FORMAT = "kg-generate-truth/1"
DEFAULT_AS_OF = date(2026, 11, 21)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --- name pools -------------------------------------------------------------------------

CN_SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
    "Zheng",
    "Liang",
    "Xie",
    "Song",
    "Tang",
    "Han",
    "Feng",
    "Deng",
    "Cao",
    "Peng",
    "Zeng",
    "Xiao",
    "Tian",
    "Dong",
    "Pan",
    "Yuan",
    "Cai",
    "Jiang",
    "Yu",
    "Du",
    "Ye",
    "Cheng",
    "Wei",
    "Su",
    "Lv",
    "Ding",
    "Ren",
    "Shen",
    "Yao",
    "Lu",
    "Jin",
    "Tan",
    "Fan",
    "Fu",
    "Shi",
    "Qiu",
    "Kong",
    "Bai",
    "Cui",
    "Kang",
    "Mao",
    "Qin",
    "Yan",
    "Xue",
    "Hou",
    "Lei",
    "Long",
    "Duan",
    "Hao",
    "Shao",
    "Meng",
    "Wan",
    "Gu",
    "Lai",
    "Qian",
    "Dai",
    "Qi",
    "Zou",
    "Xiong",
    "Jia",
    "Hong",
    "Wen",
    "Chang",
    "Ouyang",
    "Situ",
    "Shang",
    "Niu",
    "Tao",
    "Fang",
    "Bao",
    "Gong",
    "Yin",
    "Mu",
    "Zhan",
    "Ji",
    "Ning",
    "Ke",
    "Miao",
]
CN_SYLLABLES = [
    "an",
    "ang",
    "bao",
    "bei",
    "bin",
    "bo",
    "can",
    "chao",
    "chen",
    "cheng",
    "chun",
    "cong",
    "da",
    "dan",
    "de",
    "dong",
    "fan",
    "fang",
    "fei",
    "feng",
    "gang",
    "guang",
    "hai",
    "han",
    "hang",
    "hao",
    "hong",
    "hua",
    "hui",
    "jia",
    "jian",
    "jiang",
    "jie",
    "jin",
    "jing",
    "jun",
    "kai",
    "kang",
    "ke",
    "lan",
    "lei",
    "li",
    "liang",
    "lin",
    "ling",
    "long",
    "lu",
    "mei",
    "meng",
    "min",
    "ming",
    "nan",
    "ning",
    "peng",
    "ping",
    "qi",
    "qian",
    "qiang",
    "qin",
    "qing",
    "quan",
    "rong",
    "rui",
    "shan",
    "shu",
    "si",
    "song",
    "tao",
    "tian",
    "ting",
    "wei",
    "wen",
    "xi",
    "xia",
    "xian",
    "xiang",
    "xiao",
    "xin",
    "xing",
    "xu",
    "xuan",
    "ya",
    "yan",
    "yang",
    "yao",
    "yi",
    "yin",
    "ying",
    "yong",
    "you",
    "yu",
    "yuan",
    "yue",
    "yun",
    "ze",
    "zhe",
    "zhen",
    "zheng",
    "zhi",
    "zhong",
    "zhou",
    "zhu",
    "zi",
]
WEST_GIVEN = [
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Jason",
    "Edward",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Gregory",
    "Alexander",
    "Patrick",
    "Frank",
    "Raymond",
    "Jack",
    "Dennis",
    "Jerry",
    "Tyler",
    "Aaron",
    "Henry",
    "Adam",
    "Nathan",
    "Peter",
    "Zachary",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Margaret",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Sharon",
    "Cynthia",
    "Kathleen",
    "Amy",
    "Angela",
    "Anna",
    "Ruth",
    "Brenda",
    "Pamela",
    "Nicole",
    "Katherine",
    "Samantha",
    "Christine",
    "Emma",
    "Rachel",
    "Catherine",
    "Maria",
    "Julia",
    "Heather",
    "Diane",
    "Olivia",
    "Victoria",
    "Hannah",
    "Lukas",
    "Felix",
    "Jonas",
    "Leon",
    "Finn",
    "Elias",
    "Paul",
    "Moritz",
    "Johannes",
    "Sophie",
    "Lena",
    "Clara",
    "Hanna",
    "Marie",
    "Lea",
    "Lucas",
    "Hugo",
    "Louis",
    "Jules",
    "Arthur",
    "Camille",
    "Chloe",
    "Manon",
    "Sofia",
    "Giulia",
    "Marco",
    "Luca",
    "Matteo",
    "Alessandro",
    "Pablo",
    "Javier",
    "Carlos",
    "Diego",
    "Lucia",
    "Elena",
    "Carmen",
    "Ines",
    "Pedro",
    "Rafael",
    "Bruno",
    "Tiago",
    "Joao",
    "Mateus",
    "Lars",
    "Erik",
    "Nils",
    "Anders",
    "Ingrid",
    "Astrid",
    "Freya",
    "Oskar",
    "Henrik",
    "Mikkel",
    "Pieter",
    "Sander",
    "Bram",
    "Daan",
]
WEST_GIVEN_DIACRITIC = [
    "José",
    "Renée",
    "Zoë",
    "Jürgen",
    "Søren",
    "Andrés",
    "Inés",
    "Chloé",
    "Hélène",
    "François",
    "Björn",
    "Jörg",
    "Mónica",
    "Raúl",
    "Ángel",
    "Łukasz",
]
WEST_SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Bell",
    "Coleman",
    "Butler",
    "Henderson",
    "Barnes",
    "Fisher",
    "Vasquez",
    "Simmons",
    "Romero",
    "Jordan",
    "Patterson",
    "Alexander",
    "Hamilton",
    "Graham",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Kaiser",
    "Fuchs",
    "Dubois",
    "Bernard",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "Jansen",
    "Visser",
    "Smit",
    "Bakker",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Larsen",
    "Hansen",
    "Nielsen",
    "Johansson",
    "Andersson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Lindqvist",
    "Berg",
    "Holm",
    "Lund",
    "Strand",
    "Dahl",
]
WEST_SURNAME_ROOTS = [
    "Ash",
    "Black",
    "Brad",
    "Brook",
    "Clay",
    "Cole",
    "Dal",
    "Dun",
    "East",
    "Elm",
    "Fair",
    "Fern",
    "Glen",
    "Grant",
    "Hart",
    "Hay",
    "Hol",
    "Kings",
    "Lang",
    "Lind",
    "Mar",
    "Mil",
    "Nor",
    "Oak",
    "Pem",
    "Red",
    "Ros",
    "Sher",
    "Stan",
    "Stone",
    "Thorn",
    "Wal",
    "West",
    "Whit",
    "Wick",
    "Win",
    "Wood",
]
WEST_SURNAME_SUFFIXES = [
    "ford",
    "ley",
    "ton",
    "wood",
    "field",
    "worth",
    "ridge",
    "man",
    "well",
    "by",
    "more",
    "stead",
    "brook",
    "hurst",
    "ham",
    "combe",
]
WEST_PARTICLE_SURNAMES = [
    "van der Berg",
    "van Dijk",
    "de Vries",
    "de Jong",
    "van den Broek",
    "da Silva",
    "dos Santos",
    "de la Cruz",
    "von Braun",
    "di Stefano",
]
WEST_APOSTROPHE_SURNAMES = ["O'Brien", "O'Connor", "O'Neill", "D'Angelo", "O'Sullivan"]
WEST_HYPHEN_SURNAMES = ["Coda-Forno", "Smith-Jones", "Garcia-Lopez", "Müller-Lang", "Lloyd-Webb"]
DIACRITIC_SURNAMES = [
    "Müller",
    "García",
    "Núñez",
    "Pérez",
    "Gómez",
    "Jiménez",
    "Martínez",
    "Sánchez",
    "Lefèvre",
    "Østergaard",
    "Šimić",
    "Dvořák",
    "Söderberg",
    "Fernández",
    "Öztürk",
]
RU_GIVEN = [
    "Aleksandr",
    "Alexei",
    "Andrei",
    "Dmitri",
    "Sergei",
    "Mikhail",
    "Nikolai",
    "Yuri",
    "Evgeny",
    "Natalia",
    "Tatiana",
    "Ekaterina",
    "Olga",
    "Irina",
    "Ivan",
    "Pavel",
]
RU_FEMALE = frozenset(["Natalia", "Tatiana", "Ekaterina", "Olga", "Irina"])
RU_SURNAMES = [
    "Ivanov",
    "Petrov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Sokolov",
    "Lebedev",
    "Kozlov",
    "Novikov",
    "Morozov",
    "Volkov",
    "Solovyov",
    "Vasiliev",
    "Zaitsev",
    "Pavlov",
    "Semenov",
    "Golubev",
    "Vinogradov",
    "Bogdanov",
    "Orlov",
]
AR_GIVEN = [
    "Mohammed",
    "Ahmed",
    "Hussein",
    "Omar",
    "Ali",
    "Khalid",
    "Youssef",
    "Fatima",
    "Aisha",
    "Layla",
    "Karim",
    "Tariq",
    "Samir",
    "Nadia",
]
AR_SURNAMES = [
    "Hassan",
    "Ibrahim",
    "Mahmoud",
    "Haddad",
    "Khoury",
    "Nasser",
    "Saleh",
    "Aziz",
    "Rahman",
    "Farouk",
    "Mansour",
    "Qureshi",
]
IN_GIVEN = [
    "Priya",
    "Rahul",
    "Amit",
    "Ananya",
    "Arjun",
    "Vikram",
    "Sneha",
    "Rohan",
    "Kavya",
    "Aditya",
    "Deepak",
    "Meera",
    "Sanjay",
    "Pooja",
    "Karthik",
    "Lakshmi",
]
IN_SURNAMES = [
    "Sharma",
    "Gupta",
    "Patel",
    "Singh",
    "Kumar",
    "Reddy",
    "Iyer",
    "Nair",
    "Rao",
    "Mehta",
    "Joshi",
    "Agarwal",
    "Chatterjee",
    "Banerjee",
    "Desai",
    "Kapoor",
]
JP_GIVEN = [
    "Haruto",
    "Yuto",
    "Sota",
    "Hiroshi",
    "Takeshi",
    "Kenji",
    "Yuki",
    "Sakura",
    "Aoi",
    "Hina",
    "Naoki",
    "Daiki",
    "Ren",
    "Kaito",
    "Mei",
    "Riko",
]
JP_SURNAMES = [
    "Sato",
    "Suzuki",
    "Takahashi",
    "Tanaka",
    "Watanabe",
    "Ito",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Kato",
    "Yoshida",
    "Yamada",
    "Sasaki",
    "Matsumoto",
    "Inoue",
    "Kimura",
]
KR_GIVEN = [
    "Min-Jun",
    "Seo-Yeon",
    "Ji-Ho",
    "Ha-Eun",
    "Do-Yun",
    "Su-Bin",
    "Jae-Won",
    "Hye-Jin",
    "Sung-Min",
    "Young-Ho",
]
KR_SURNAMES = [
    "Kim",
    "Park",
    "Choi",
    "Jung",
    "Kang",
    "Cho",
    "Yoon",
    "Jang",
    "Lim",
    "Han",
    "Oh",
    "Seo",
    "Shin",
    "Kwon",
    "Hwang",
]
TRANSLIT = {
    "Aleksandr": ("Alexander", "Aleksander"),
    "Alexei": ("Alexey", "Aleksei"),
    "Andrei": ("Andrey",),
    "Dmitri": ("Dmitry",),
    "Sergei": ("Sergey",),
    "Mikhail": ("Mihail",),
    "Nikolai": ("Nikolay",),
    "Yuri": ("Yury", "Iurii"),
    "Evgeny": ("Evgenii", "Yevgeny"),
    "Natalia": ("Natalya",),
    "Tatiana": ("Tatyana",),
    "Ekaterina": ("Yekaterina",),
    "Mohammed": ("Muhammad", "Mohammad"),
    "Ahmed": ("Ahmad",),
    "Hussein": ("Husain",),
    "Jürgen": ("Juergen",),
    "Müller": ("Mueller",),
}

# --- title and abstract pools ---------------------------------------------------------------

ADJECTIVES = [
    "Efficient",
    "Scalable",
    "Robust",
    "Contrastive",
    "Self-Supervised",
    "Federated",
    "Sparse",
    "Hierarchical",
    "Adaptive",
    "Multimodal",
    "Causal",
    "Generative",
    "Differentiable",
    "Bayesian",
    "Latent",
    "Structured",
    "Interpretable",
    "Low-Rank",
    "Continual",
    "Unsupervised",
    "Semi-Supervised",
    "Zero-Shot",
    "Few-Shot",
    "Long-Context",
    "Multilingual",
    "Private",
    "Fair",
    "Calibrated",
    "Provable",
    "Distributed",
    "Quantized",
    "Equivariant",
    "Implicit",
    "Stochastic",
    "Variational",
    "Token-Level",
    "Offline",
    "On-Policy",
    "Off-Policy",
    "Multi-Agent",
    "Compositional",
    "Retrieval-Augmented",
    "Diffusion-Based",
    "Graph-Based",
    "Energy-Based",
    "Physics-Informed",
    "Lightweight",
    "Memory-Efficient",
    "Uncertainty-Aware",
    "Data-Efficient",
    "Cross-Lingual",
    "Instruction-Tuned",
    "Open-Vocabulary",
    "Temporal",
]
NOUNS = [
    "Representations",
    "Transformers",
    "Language Models",
    "Policies",
    "Embeddings",
    "Attention",
    "Graph Neural Networks",
    "Diffusion Models",
    "Reward Models",
    "Agents",
    "Retrievers",
    "Tokenizers",
    "Optimizers",
    "Kernels",
    "Priors",
    "Features",
    "Estimators",
    "Benchmarks",
    "Objectives",
    "Adapters",
    "Mixture of Experts",
    "State Space Models",
    "Autoencoders",
    "Normalizing Flows",
    "World Models",
    "Vision Transformers",
    "Neural Fields",
    "Decoders",
    "Planners",
    "Critics",
    "Value Functions",
    "Memory Networks",
    "Routers",
    "Prompts",
    "Classifiers",
    "Detectors",
    "Encoders",
    "Samplers",
]
TASKS = [
    "Question Answering",
    "Image Segmentation",
    "Protein Design",
    "Code Generation",
    "Time Series Forecasting",
    "Anomaly Detection",
    "Machine Translation",
    "Recommendation",
    "Seizure Detection",
    "Theorem Proving",
    "Speech Recognition",
    "Molecule Generation",
    "Summarization",
    "Visual Reasoning",
    "Drug Discovery",
    "Weather Forecasting",
    "Robot Manipulation",
    "Entity Resolution",
    "Mathematical Reasoning",
    "Tabular Learning",
    "Object Detection",
    "Depth Estimation",
    "Text-to-Image Generation",
    "Video Understanding",
    "Retrieval",
    "Causal Discovery",
    "Graph Classification",
    "Link Prediction",
    "Dialogue Systems",
    "Program Synthesis",
    "Medical Imaging",
    "Point Cloud Registration",
    "Knowledge Graph Completion",
    "Fact Verification",
    "Semantic Parsing",
    "Sentiment Analysis",
    "Pose Estimation",
    "Trajectory Prediction",
    "Scene Understanding",
]
DOMAINS = [
    "Proteomics",
    "Multiomics",
    "Genomics",
    "Metabolomics",
    "Transcriptomics",
    "Healthcare",
    "Finance",
    "Chemistry",
    "Materials Science",
    "Climate Science",
    "Astronomy",
    "Law",
    "Education",
    "Agriculture",
    "Neuroscience",
    "Epidemiology",
]
VERBING = [
    "Improving",
    "Scaling",
    "Rethinking",
    "Understanding",
    "Automating",
    "Learning",
    "Distilling",
    "Evaluating",
    "Accelerating",
    "Aligning",
    "Benchmarking",
    "Revisiting",
]
PROPERTIES = [
    "Generalization",
    "Robustness",
    "Convergence",
    "Expressivity",
    "Calibration",
    "Sample Complexity",
    "Stability",
    "Identifiability",
    "Optimality",
    "Transferability",
]
TECHNIQUES = [
    "Optimal Transport",
    "Contrastive Learning",
    "Knowledge Distillation",
    "Reinforcement Learning",
    "Meta-Learning",
    "Curriculum Learning",
    "Active Learning",
    "Test-Time Adaptation",
    "Prompt Tuning",
    "Score Matching",
    "Spectral Clustering",
    "Random Features",
    "Importance Sampling",
    "Mutual Information",
    "Low-Rank Adaptation",
]
CATEGORIES = (
    ("LG", 35),
    ("CL", 20),
    ("CV", 20),
    ("AI", 10),
    ("ML", 5),
    ("IR", 3),
    ("RO", 3),
    ("NE", 2),
    ("SD", 2),
)
AFFILIATIONS = [
    "tsinghua",
    "pku",
    "stanford",
    "mit",
    "cmu",
    "berkeley",
    "oxford",
    "cambridge",
    "eth",
    "sjtu",
    "zju",
    "fudan",
    "nku",
    "ustc",
]
PROBLEMS = (
    "distribution shift",
    "label noise",
    "quadratic cost in the sequence length",
    "reward hacking",
    "catastrophic forgetting",
    "poor calibration",
    "spurious correlations",
    "exposure bias",
    "high variance",
    "limited supervision",
    "long-tailed data",
    "privacy leakage",
)

# --- knobs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proportions:
    """How often each variation occurs (fractions)."""

    headerless: float = 0.15
    header_without_name: float = 0.15
    layout_b: float = 0.15
    trailing_newline: float = 0.1
    truncated_page: float = 0.1
    affiliation_files: float = 0.12
    code: float = 0.22
    latex: float = 0.18
    variant_mention: float = 0.07
    initials_paper: float = 0.02
    typo_share: float = 0.05
    homonym: float = 0.01
    mover: float = 0.03
    sibling: float = 0.012
    title_variant: float = 0.06
    outsider: float = 0.08


@dataclass(slots=True)
class GenerateStats:
    files: int = 0
    papers: int = 0
    listings: int = 0
    mentions: int = 0
    variant_mentions: int = 0
    persons: int = 0
    siblings: int = 0
    title_variants: int = 0
    homonyms: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__slots__}


# --- people ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    pid: int
    given: list[str]  # given names (first is the main one); middle names after it
    surname: str
    origin: str  # "cn", "west", "ru", "ar", "in", "jp", "kr"
    forms: list[str] = field(default_factory=list)  # variant renderings (not the canonical one)

    @property
    def name(self) -> str:
        return " ".join([*self.given, self.surname])


def _initials(given: list[str]) -> str:
    return " ".join(g[0] + "." for g in given)


def _ascii(text: str) -> str:
    import unicodedata

    table = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"})
    decomposed = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.5:  # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.8:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def _variant_forms(p: Person, rng: random.Random, typo_share: float) -> list[str]:
    """The other ways this person's name gets written (stable per person, as in real metadata)."""
    forms: list[str] = []
    given, surname = p.given, p.surname
    forms.append(f"{_initials(given[:1])} {surname}")
    if len(given) > 1:
        forms.append(f"{_initials(given)} {surname}")
        forms.append(f"{given[0]} {surname}")  # middle name dropped
        forms.append(f"{given[0]} {given[1][0]}. {surname}")  # middle initial
    if p.origin in ("cn", "kr"):
        g = given[0]
        if "-" in g:
            forms.append(f"{g.replace('-', '').capitalize()} {surname}")
            forms.append(f"{g.replace('-', ' ')} {surname}")
        else:
            split = _pinyin_split(g)
            if split:
                forms.append(f"{split[0]}-{split[1].capitalize()} {surname}")
                forms.append(f"{split[0]} {split[1].capitalize()} {surname}")
        forms.append(f"{surname} {g}")  # family name first
    ascii_name = _ascii(p.name)
    if ascii_name != p.name:
        forms.append(ascii_name)
    for part in (*given, surname):
        for alt in TRANSLIT.get(part, ()):
            forms.append(p.name.replace(part, alt))
    if rng.random() < typo_share:
        tokens = [t for t in (*given, *surname.split()) if t.isalpha()]
        target = max(tokens, key=len, default="")
        if len(target) >= 6:
            forms.append(p.name.replace(target, _typo(target, rng), 1))
    seen = {p.name}
    out = []
    for f in forms:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


_SYLLABLE_SET = frozenset(CN_SYLLABLES)


def _pinyin_split(given: str) -> tuple[str, str] | None:
    low = given.lower()
    for i in range(1, len(low)):
        if low[:i] in _SYLLABLE_SET and low[i:] in _SYLLABLE_SET:
            return given[:i], low[i:]
    return None


class _People:
    """Draws people with unique full names (the generator's truth is unambiguous by construction,
    except for the deliberate homonyms)."""

    def __init__(self, rng: random.Random, props: Proportions) -> None:
        self.rng = rng
        self.props = props
        self.people: list[Person] = []
        self.names: set[str] = set()
        self.homonyms: list[tuple[int, int]] = []

    def _draw(self) -> tuple[list[str], str, str]:
        rng = self.rng
        r = rng.random()
        if r < 0.50:
            s1, s2 = rng.choice(CN_SYLLABLES), rng.choice(CN_SYLLABLES)
            first = (s1 + s2).capitalize() if rng.random() < 0.8 else s1.capitalize()
            return [first], rng.choice(CN_SURNAMES), "cn"
        if r < 0.82:
            first = (
                rng.choice(WEST_GIVEN_DIACRITIC) if rng.random() < 0.05 else rng.choice(WEST_GIVEN)
            )
            given = [first]
            if rng.random() < 0.25:
                middle = rng.choice(WEST_GIVEN)
                if middle != first:
                    given.append(middle)
            q = rng.random()
            if q < 0.45:
                surname = rng.choice(WEST_SURNAMES)
            elif q < 0.85:
                surname = rng.choice(WEST_SURNAME_ROOTS) + rng.choice(WEST_SURNAME_SUFFIXES)
            elif q < 0.91:
                surname = rng.choice(DIACRITIC_SURNAMES)
            elif q < 0.95:
                surname = rng.choice(WEST_PARTICLE_SURNAMES)
            elif q < 0.975:
                surname = rng.choice(WEST_APOSTROPHE_SURNAMES)
            else:
                surname = rng.choice(WEST_HYPHEN_SURNAMES)
            return given, surname, "west"
        pools = (
            ("ru", RU_GIVEN, RU_SURNAMES),
            ("ar", AR_GIVEN, AR_SURNAMES),
            ("in", IN_GIVEN, IN_SURNAMES),
            ("jp", JP_GIVEN, JP_SURNAMES),
            ("kr", KR_GIVEN, KR_SURNAMES),
        )
        origin, gpool, spool = pools[rng.randrange(len(pools))]
        given = [rng.choice(gpool)]
        if origin in ("ar", "in") and rng.random() < 0.4:
            middle = rng.choice(AR_GIVEN if origin == "ar" else IN_GIVEN)
            if middle != given[0]:
                given.append(middle)
        surname = rng.choice(spool)
        if origin == "ru" and given[0] in RU_FEMALE:
            surname += "a"  # Ivanova, Petrova
        return given, surname, origin

    def new(self) -> Person:
        from kg.normalize import name_key

        rng = self.rng
        if self.people and rng.random() < self.props.homonym:
            twin = self.people[rng.randrange(len(self.people))]
            p = Person(len(self.people), list(twin.given), twin.surname, twin.origin)
            self.homonyms.append((twin.pid, p.pid))
        else:
            for _ in range(50):
                given, surname, origin = self._draw()
                p = Person(len(self.people), given, surname, origin)
                key = name_key(p.name)
                if key not in self.names:
                    break
            self.names.add(name_key(p.name))
        p.forms = _variant_forms(p, rng, self.props.typo_share)
        self.people.append(p)
        return p


# --- papers -----------------------------------------------------------------------------------


def _acronym(rng: random.Random) -> str:
    letters = "ABCDEFGHIKLMNOPRSTUVW"
    return "".join(rng.choice(letters) for _ in range(rng.randint(3, 6)))


def _title(rng: random.Random) -> tuple[str, list[tuple[str, tuple[str, ...]]]]:
    """A title and its replaceable slots (slot text, pool) for sibling papers."""
    adj, noun, task = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(TASKS)
    t = rng.randrange(9)
    slots: list[tuple[str, tuple[str, ...]]] = [(adj, tuple(ADJECTIVES)), (task, tuple(TASKS))]
    if t == 0:
        title = f"{_acronym(rng)}: {adj} {noun} for {task}"
    elif t == 1:
        title = f"{adj} {noun} for {task}"
    elif t == 2:
        title = f"Towards {adj} {task} with {noun}"
    elif t == 3:
        prop = rng.choice(PROPERTIES)
        title = f"On the {prop} of {adj} {noun} in {task}"
        slots.append((prop, tuple(PROPERTIES)))
    elif t == 4:
        tech = rng.choice(TECHNIQUES)
        title = f"{_acronym(rng)}: {rng.choice(VERBING)} {adj} {noun} via {tech}"
        slots = [(adj, tuple(ADJECTIVES)), (tech, tuple(TECHNIQUES))]
    elif t == 5:
        domain = rng.choice(DOMAINS)
        title = f"{rng.choice(VERBING)} Exploratory {domain} Research with {adj} {noun}"
        slots = [(domain, tuple(DOMAINS)), (adj, tuple(ADJECTIVES))]
    elif t == 6:
        other = rng.choice(NOUNS)
        article = "An" if adj[0] in "AEIOU" else "A"
        title = f"When {noun} Meet {other}: {article} {adj} Approach to {task}"
    elif t == 7:
        title = f"Can {adj} {noun} Solve {task}?"
    else:
        domain = rng.choice(DOMAINS)
        title = f"{adj} {task} in {domain} with {noun}"
        slots.append((domain, tuple(DOMAINS)))
    return title, slots


def _sibling_title(
    title: str, slots: list[tuple[str, tuple[str, ...]]], rng: random.Random
) -> str | None:
    from rapidfuzz import fuzz

    for _ in range(20):
        word, pool = rng.choice(slots)
        alt = rng.choice(pool)
        if alt == word or word not in title:
            continue
        candidate = title.replace(word, alt, 1)
        if fuzz.ratio(title_key(title), title_key(candidate)) >= 85:
            return candidate
    return None


_SPELLING = (
    ("ization", "isation"),
    ("izing", "ising"),
    ("Towards", "Toward"),
    ("Modeling", "Modelling"),
    ("Behavior", "Behaviour"),
    ("Generalization", "Generalisation"),
)


def _title_variant(title: str, rng: random.Random) -> tuple[str, bool]:
    """Another way a profile writes the same title: (text, fuzzy?) — fuzzy ones change the title key."""
    if rng.random() < 0.5:  # case and punctuation only: the same title key
        if rng.random() < 0.5:
            return title.upper() if len(title) < 60 else title.lower().capitalize(), False
        return title.replace(":", " -", 1) if ":" in title else title + ".", False
    for a, b in _SPELLING:
        if a in title:
            return title.replace(a, b, 1), True
        if b in title:
            return title.replace(b, a, 1), True
    words = title.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 7 and w.isalpha()]
    if long_words:
        i = rng.choice(long_words)
        words[i] = _typo(words[i], rng)
        return " ".join(words), True
    return title, False


def _abstract(rng: random.Random, title: str, code_url: str | None, latex: bool) -> str:
    task = rng.choice(TASKS).lower()
    noun = rng.choice(NOUNS).lower()
    problem = rng.choice(PROBLEMS)
    n = rng.randint(3, 31)
    gain = rng.randint(2, 40)
    sentences = [
        f"{rng.choice(('Recent', 'Existing', 'Current', 'Popular'))} approaches to {task} rely on {noun}, "
        f"which suffer from {problem}.",
        f"We revisit {rng.choice(TASKS).lower()} from this angle and show that a simple change to the "
        f"training objective removes most of this gap.",
        f"Across {n} benchmarks, our method improves over strong baselines by {gain}"
        + ("\\%" if latex and rng.random() < 0.5 else "%")
        + " on average.",
    ]
    if latex:
        choice = rng.randrange(4)
        if choice == 0:
            sentences.insert(
                1, f"We prove a bound of $\\mathcal{{O}}(\\sqrt{{T}}\\log {n})$ on the regret."
            )
        elif choice == 1:
            sentences.insert(
                1, f"We introduce \\textbf{{{_acronym(rng)}}}, which uses $k={n}$ anchors per step."
            )
        elif choice == 2:
            sentences.insert(
                1, "The estimator is unbiased when $\\alpha \\to 0$ and ``stable'' otherwise."
            )
        else:
            sentences.insert(
                1, f"Training takes \\(r={gain}\\) rounds, \\emph{{i.e.}} far fewer than before."
            )
    if rng.random() < 0.4:
        sentences.append(f"We further analyse {rng.choice(PROBLEMS)} and release all data.")
    if code_url:
        form = rng.random()
        if form < 0.8:
            sentences.append(f"Code is available at {code_url}.")
        elif form < 0.9:
            sentences.append(f"Code: {code_url}")
        else:
            sentences.append(f"See \\href{{{code_url}}}{{{code_url}}}.")
    return " ".join(sentences)


@dataclass(slots=True)
class Paper:
    pid: int
    title: str
    day: date
    category: str
    authors: list[int]  # person ids, in order
    written: list[str]  # the names as the paper's metadata writes them
    abstract: str
    code: bool


# --- the page writer ---------------------------------------------------------------------------


def _date_line(category: str, day: date, code: bool, as_of: date) -> str:
    text = f"{category}{MONTHS[day.month - 1]} {day.day}"
    if day.year != as_of.year:
        text += f", {day.year}"
    return text + ("Code" if code else "")


def _metrics(rng: random.Random, papers: int) -> list[str]:
    citations = rng.randint(papers * 3, papers * 120 + 10)
    cited = f"{citations:,}" if citations >= 1000 and rng.random() < 0.9 else str(citations)
    return [
        f"h-index{rng.randint(3, 60)}",
        f"{papers}papers",
        f"{cited}citations",
        f"Novelty{rng.randint(20, 80)}%",
        f"AI Score{rng.randint(30, 90)}",
    ]


def _render_profile(
    rng: random.Random,
    owner: Person,
    papers: list[tuple[Paper, str]],  # (paper, title as this profile writes it)
    as_of: date,
    props: Proportions,
    tags: tuple[str, ...],
) -> tuple[str, list[tuple[int, Paper, str, list[str], bool]]]:
    """The page text and, per entry, (line, paper, title, visible names, truncated)."""
    lines: list[str] = []
    entries: list[tuple[int, Paper, str, list[str], bool]] = []
    declared = len(papers) + (rng.randint(1, 12) if rng.random() < props.truncated_page else 0)
    r = rng.random()
    if r >= props.headerless:
        if r >= props.headerless + props.header_without_name:
            lines += [owner.name, ""]
            lines += [rng.choice([c for c, _ in CATEGORIES[:4]])]
        lines += _metrics(rng, declared)
        lines += ["", f"{declared} Papers", ""]
    layout_b = rng.random() < props.layout_b
    for n, (paper, title) in enumerate(papers):
        shown = paper.written[:3]
        truncated = len(paper.written) > 3
        author_line = ", ".join(shown) + (" et al." if truncated else "")
        if tags and truncated and rng.random() < 0.75:
            author_line += " \u00b7 " + ", ".join(tags[: 1 + (rng.random() < 0.15)])
        lines.append(_date_line(paper.category, paper.day, paper.code, as_of))
        entries.append((len(lines), paper, title, list(shown), truncated))
        if layout_b:
            lines += [title + author_line, paper.abstract]
        else:
            lines += [title, "", author_line, "", paper.abstract]
            if n != len(papers) - 1:
                lines.append("")
    text = "\n".join(lines)
    if rng.random() < props.trailing_newline:
        text += "\n"
    return text, entries


# --- the generator -----------------------------------------------------------------------------


def _weighted_category(rng: random.Random) -> str:
    total = sum(w for _, w in CATEGORIES)
    x = rng.random() * total
    for code, w in CATEGORIES:
        x -= w
        if x < 0:
            return code
    return CATEGORIES[0][0]


def _day(rng: random.Random, as_of: date) -> date:
    # Recent years are busier: pick a year with weight growing towards the copy year.
    years = list(range(as_of.year - 9, as_of.year + 1))
    weights = [1.3**i for i in range(len(years))]
    year = rng.choices(years, weights)[0]
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), as_of - timedelta(days=1))
    return start + timedelta(days=rng.randrange((end - start).days + 1))


class _JsonArrayWriter:
    """Writes a JSON array one element at a time."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.first = True

    def add(self, item: Any) -> None:
        self.out.write("\n  " if self.first else ",\n  ")
        self.out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        self.first = False


@dataclass(slots=True)
class _World:
    """Everything the generator carries from one lab to the next."""

    rng: random.Random
    props: Proportions
    as_of: date
    people: _People
    stats: GenerateStats
    used_titles: set[int] = field(default_factory=set)
    siblings: list[tuple[int, int]] = field(default_factory=list)
    movers: list[int] = field(default_factory=list)
    #: Members of recent labs, from which a lab's partner labs are drawn.
    recent_labs: list[list[Person]] = field(default_factory=list)
    next_paper: int = 0


def generate(
    papers: int,
    out: str | Path,
    *,
    seed: int = 0,
    as_of: date = DEFAULT_AS_OF,
    props: Proportions | None = None,
    papers_per_lab: int = 30,
) -> GenerateStats:
    """Write about ``papers`` distinct papers as profile pages under ``out`` plus ``out/truth.json``.

    Deterministic for a seed. Raises ValueError for ``papers < 1`` and OSError
    when ``out`` cannot be written.

    >>> import tempfile
    >>> stats = generate(40, tempfile.mkdtemp(), seed=1)
    >>> stats.papers >= 40 and stats.files > 0
    True
    """
    if papers < 1:
        raise ValueError("papers must be at least 1")
    props = props or Proportions()
    rng = random.Random(seed)
    root = Path(out)
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    world = _World(rng, props, as_of, _People(rng, props), GenerateStats())
    stats = world.stats
    with (root / "truth.json").open("w", encoding="utf-8") as truth:
        truth.write(
            f'{{"format": "{TRUTH_FORMAT}", "seed": {seed}, "as_of": "{as_of.isoformat()}",\n'
        )
        truth.write('"files": [')
        files = _JsonArrayWriter(truth)
        lab = 0
        while stats.papers < papers:
            want = min(
                papers - stats.papers, max(5, int(rng.gauss(papers_per_lab, papers_per_lab / 3)))
            )
            for path, text, owner, entries in _lab(world, lab, want):
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                data = text.encode("utf-8")
                target.write_bytes(data)
                stats.bytes += len(data)
                stats.files += 1
                files.add(
                    {
                        "file": path,
                        "owner": owner.pid,
                        "owner_name": owner.name,
                        "entries": [
                            [
                                line,
                                paper.pid,
                                title,
                                [[n, a] for n, a in zip(shown, paper.authors, strict=False)],
                                cut,
                            ]
                            for line, paper, title, shown, cut in entries
                        ],
                    }
                )
            lab += 1
        people = world.people
        truth.write("\n],\n")
        truth.write(
            '"persons": '
            + json.dumps({str(p.pid): p.name for p in people.people}, ensure_ascii=False)
        )
        truth.write(',\n"siblings": ' + json.dumps(world.siblings))
        truth.write(',\n"homonyms": ' + json.dumps(people.homonyms))
        stats.persons = len(people.people)
        stats.siblings = len(world.siblings)
        stats.homonyms = len(people.homonyms)
        truth.write(',\n"stats": ' + json.dumps(stats.as_dict()) + "\n}\n")
    return stats


def _lab(
    world: _World, lab: int, n_papers: int
) -> Iterator[tuple[str, str, Person, list[tuple[int, Paper, str, list[str], bool]]]]:
    """One lab's papers, rendered as its members' profile pages."""
    rng, people, props, stats = world.rng, world.people, world.props, world.stats
    pis = [people.new() for _ in range(1 if rng.random() < 0.6 else 2)]
    members = [people.new() for _ in range(max(3, int(rng.gauss(n_papers / 4, n_papers / 12))))]
    if world.movers and rng.random() < 0.5:
        members.append(people.people[world.movers.pop(rng.randrange(len(world.movers)))])
    world.movers.extend(m.pid for m in members if rng.random() < props.mover)
    weights = [rng.paretovariate(1.5) for _ in members]
    tags = tuple(rng.sample(AFFILIATIONS, 2)) if rng.random() < props.affiliation_files else ()
    # Collaborations recur: outside co-authors come mostly from a few partner labs.
    recent = world.recent_labs
    partners = [
        recent[rng.randrange(len(recent))] for _ in range(min(len(recent), rng.randint(1, 3)))
    ]
    recent.append(pis + members)
    if len(recent) > 200:
        recent.pop(rng.randrange(len(recent)))
    lab_papers: list[Paper] = []
    while len(lab_papers) < n_papers:
        size = rng.choices((2, 3, 4, 5, 6, 7, 8), (10, 15, 22, 20, 15, 10, 8))[0]
        chosen: list[Person] = [rng.choices(members, weights)[0]]
        taken = {chosen[0].pid} | {p.pid for p in pis}
        while len(chosen) < size - 1:
            if rng.random() < props.outsider:
                if partners and rng.random() < 0.8:
                    lab_members = partners[rng.randrange(len(partners))]
                    cand = lab_members[rng.randrange(len(lab_members))]
                else:
                    cand = people.people[rng.randrange(len(people.people))]
            else:
                cand = rng.choices(members, weights)[0]
            if cand.pid not in taken:
                chosen.append(cand)
                taken.add(cand.pid)
            elif rng.random() < 0.3:
                break
        pi = pis[0] if len(pis) == 1 or rng.random() < 0.6 else pis[1]
        if rng.random() < 0.9:
            chosen.append(pi)
            other = pis[1] if pi is pis[0] and len(pis) == 2 else pis[0]
            if other is not pi and rng.random() < 0.3:
                chosen.insert(len(chosen) - 1, other)
        title, slots = _unique_title(rng, world.used_titles)
        paper = _new_paper(world, title, chosen)
        lab_papers.append(paper)
        if rng.random() < props.sibling and len(lab_papers) < n_papers:
            alt = _sibling_title(title, slots, rng)
            if alt is not None and hash_title(alt) not in world.used_titles:
                world.used_titles.add(hash_title(alt))
                same = rng.random() < 0.6
                twin_authors = chosen if same else [rng.choices(members, weights)[0], pi]
                twin = _new_paper(world, alt, list({p.pid: p for p in twin_authors}.values()))
                if rng.random() < 0.5:
                    twin.day = min(
                        world.as_of - timedelta(days=1),
                        paper.day + timedelta(days=rng.randint(0, 20)),
                    )
                lab_papers.append(twin)
                world.siblings.append((paper.pid, twin.pid))
    # Who has a profile: the first PI, the second one half of the time, a few members.
    # A paper on nobody's profile is not on the site: it is dropped.
    by_person: dict[int, list[Paper]] = {}
    for paper in lab_papers:
        for pid in paper.authors:
            by_person.setdefault(pid, []).append(paper)
    owners = [p for i, p in enumerate(pis) if p.pid in by_person and (i == 0 or rng.random() < 0.5)]
    owner_ids = {o.pid for o in owners}
    for m in members:
        if (
            m.pid in by_person
            and m.pid not in owner_ids
            and len(by_person[m.pid]) >= 5
            and rng.random() < 0.12
        ):
            owners.append(m)
            owner_ids.add(m.pid)
    listed = {paper.pid for paper in lab_papers if owner_ids.intersection(paper.authors)}
    world.siblings[:] = [
        pair
        for pair in world.siblings
        if pair[0] < lab_papers[0].pid or (pair[0] in listed and pair[1] in listed)
    ]
    for pid in list(by_person):
        by_person[pid] = [paper for paper in by_person[pid] if paper.pid in listed]
    stats.papers += len(listed)
    listed_title: dict[int, str] = {}
    for owner in owners:
        own = list(by_person.get(owner.pid, []))
        rng.shuffle(own)  # the site's ranking, not by date
        own = own[:60]
        if not own:
            continue
        pages: list[tuple[Paper, str]] = []
        for paper in own:
            title = paper.title
            if paper.pid in listed_title and rng.random() < props.title_variant:
                title, fuzzy = _title_variant(paper.title, rng)
                stats.title_variants += int(fuzzy)
            listed_title.setdefault(paper.pid, title)
            pages.append((paper, title))
        text, entries = _render_profile(rng, owner, pages, world.as_of, props, tags)
        stats.listings += len(entries)
        stats.mentions += sum(len(e[3]) for e in entries)
        digest = hashlib.sha1(f"{lab}/{owner.pid}".encode()).hexdigest()[:16]
        path = f"profiles/{lab // 1000:04d}/{lab:06d}_{owner.pid:07d}_{digest}.txt"
        yield path, text, owner, entries


def hash_title(title: str) -> int:
    """A 64-bit hash of a title's key (the generator keeps titles unique by key)."""
    return int.from_bytes(hashlib.blake2b(title_key(title).encode(), digest_size=8).digest(), "big")


def _unique_title(
    rng: random.Random, used: set[int]
) -> tuple[str, list[tuple[str, tuple[str, ...]]]]:
    for _ in range(30):
        title, slots = _title(rng)
        h = hash_title(title)
        if h not in used:
            used.add(h)
            return title, slots
    while True:  # the grammar is crowded: make it unique with a second acronym
        title, slots = _title(rng)
        title = f"{_acronym(rng)}-{rng.randint(2, 99)}: {title}"
        h = hash_title(title)
        if h not in used:
            used.add(h)
            return title, slots


def _new_paper(world: _World, title: str, authors: list[Person]) -> Paper:
    rng, props = world.rng, world.props
    code = rng.random() < props.code
    url = None
    if (code and rng.random() < 0.9) or (not code and rng.random() < 0.03):
        handle = _ascii(authors[0].surname).lower().replace(" ", "").replace("'", "")
        url = f"https://github.com/{handle}{rng.randint(1, 999)}/{_acronym(rng).lower()}"
    initials_style = rng.random() < props.initials_paper
    written = []
    for person in authors:
        if initials_style:
            name = f"{_initials(person.given[:1])} {person.surname}"
        elif person.forms and rng.random() < props.variant_mention:
            name = rng.choice(person.forms)
        else:
            name = person.name
        written.append(name)
        world.stats.variant_mentions += int(name != person.name)
    world.next_paper += 1
    return Paper(
        world.next_paper,
        title,
        _day(rng, world.as_of),
        _weighted_category(rng),
        [p.pid for p in authors],
        written,
        _abstract(rng, title, url, rng.random() < props.latex),
        code,
    )
