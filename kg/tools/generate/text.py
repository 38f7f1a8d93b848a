"""Paper titles from a grammar (unique by title key), their near-titled siblings and variant
spellings (the abstracts are in :mod:`.abstracts`).
"""

from __future__ import annotations

import hashlib
import random

from rapidfuzz import fuzz

from kg.normalize import title_key
from kg.tools.generate.spelling import typo

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


def acronym(rng: random.Random) -> str:
    letters = "ABCDEFGHIKLMNOPRSTUVW"
    return "".join(rng.choice(letters) for _ in range(rng.randint(3, 6)))


def draw_title(rng: random.Random) -> tuple[str, list[tuple[str, tuple[str, ...]]]]:
    """A title and its replaceable slots (slot text, pool) for sibling papers."""
    adj, noun, task = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(TASKS)
    t = rng.randrange(9)
    slots: list[tuple[str, tuple[str, ...]]] = [(adj, tuple(ADJECTIVES)), (task, tuple(TASKS))]
    if t == 0:
        title = f"{acronym(rng)}: {adj} {noun} for {task}"
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
        title = f"{acronym(rng)}: {rng.choice(VERBING)} {adj} {noun} via {tech}"
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


def sibling_title(
    title: str, slots: list[tuple[str, tuple[str, ...]]], rng: random.Random
) -> str | None:
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


def title_variant(title: str, rng: random.Random) -> tuple[str, bool]:
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
        words[i] = typo(words[i], rng)
        return " ".join(words), True
    return title, False


def hash_title(title: str) -> int:
    """A 64-bit hash of a title's key (the generator keeps titles unique by key)."""
    return int.from_bytes(hashlib.blake2b(title_key(title).encode(), digest_size=8).digest(), "big")


def unique_title(
    rng: random.Random, used: set[int]
) -> tuple[str, list[tuple[str, tuple[str, ...]]]]:
    for _ in range(30):
        title, slots = draw_title(rng)
        h = hash_title(title)
        if h not in used:
            used.add(h)
            return title, slots
    while True:  # the grammar is crowded: make it unique with a second acronym
        title, slots = draw_title(rng)
        title = f"{acronym(rng)}-{rng.randint(2, 99)}: {title}"
        h = hash_title(title)
        if h not in used:
            used.add(h)
            return title, slots
