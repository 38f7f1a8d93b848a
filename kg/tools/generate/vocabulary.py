"""The words abstracts are made of: real technical vocabulary, and the parts that coined
words, method names, data sets and models are built from.

Lists are ordered roughly from common to rare; :mod:`.abstracts` draws from them with
Zipf-like weights, shuffled per topic, so that a topic's common words are another topic's
rare ones, as in a real corpus.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Adjectives that qualify a method, a model or a setting.
MODIFIERS = _words(
    """
    sparse robust adaptive hierarchical latent stochastic scalable efficient contrastive
    generative causal variational bayesian convex nonconvex distributed federated private
    multimodal structured implicit explicit discrete continuous temporal spatial spectral
    geometric equivariant invariant modular compositional recurrent autoregressive
    non-autoregressive bidirectional multiscale low-rank high-dimensional nonparametric
    semiparametric parametric asymptotic finite-sample minimax online offline streaming
    incremental asynchronous decentralized heterogeneous homogeneous nonstationary stationary
    anisotropic isotropic deterministic randomized greedy approximate exact differentiable
    piecewise monotone submodular subgaussian heavy-tailed long-tailed imbalanced noisy
    adversarial certified calibrated conformal interpretable faithful grounded multilingual
    cross-lingual zero-shot few-shot instruction-following retrieval-augmented tool-augmented
    token-level sequence-level step-wise curriculum-based uncertainty-aware cost-sensitive
    memory-efficient communication-efficient label-efficient physics-informed data-driven
    model-based model-free on-policy off-policy hybrid coarse-to-fine end-to-end two-stage
    lightweight training-free plug-and-play mixed-precision quantized pruned distilled
    overparameterized underdetermined ill-posed well-posed regularized penalized kernelized
    nonlinear linearized bilinear quadratic polynomial orthogonal unitary symplectic
    hamiltonian lagrangian riemannian hyperbolic euclidean topological combinatorial
    probabilistic information-theoretic game-theoretic mechanistic counterfactual
    interventional observational longitudinal cross-sectional multivariate univariate
    categorical ordinal relational graph-structured tabular volumetric panoramic egocentric
    allocentric articulated deformable rigid photorealistic neural symbolic neuro-symbolic
    """
)

#: Technical nouns: what a paper is about.
CONCEPTS = _words(
    """
    attention representation alignment reasoning retrieval generalization robustness
    optimization regularization calibration uncertainty inference estimation prediction
    segmentation detection tracking reconstruction compression quantization distillation
    pruning sampling exploration planning control memory routing tokenization embedding
    clustering ranking recommendation translation summarization parsing grounding captioning
    forecasting imputation denoising deblurring superresolution registration localization
    navigation manipulation locomotion grasping scheduling allocation pricing auctions
    matching transport diffusion flows kernels graphs hypergraphs manifolds topology geometry
    curvature spectrum eigenvalues wavelets splines polynomials tensors factorization
    decomposition sparsity rank entropy divergence likelihood posterior priors marginals
    identifiability causality confounding interventions counterfactuals fairness privacy
    watermarking unlearning memorization hallucination jailbreaks toxicity bias consistency
    faithfulness interpretability attribution saliency probing steering editing pretraining
    finetuning prompting chain-of-thought self-consistency verification reward preference
    feedback bandits regret exploration policies trajectories rollouts simulators
    environments agents curricula benchmarks datasets annotations labels pseudo-labels
    augmentation mixup dropout normalization initialization warmup momentum preconditioning
    curvature hessians gradients jacobians backpropagation checkpointing parallelism
    pipelining sharding caching prefetching batching throughput latency bandwidth energy
    hardware accelerators compilers kernels sparsification drafting decoding beams
    vocabulary morphology syntax semantics pragmatics discourse coreference entities
    relations events knowledge ontologies schemas queries databases indexing hashing
    sketches streams anomalies outliers drift shift adaptation transfer continual
    forgetting replay meta-learning hypernetworks mixtures experts routers gating
    recurrence convolution pooling upsampling skip-connections residuals transformers
    state-space autoencoders codebooks vector-quantization latents denoisers score-matching
    guidance classifiers detectors encoders decoders tokenizers adapters prompts
    instructions demonstrations rationales explanations critiques debates consensus
    voting aggregation synchronization gossip consensus robustness certification
    verification abstraction invariants synthesis programs proofs theorems lemmas
    conjectures tactics solvers heuristics relaxations duality convexity smoothness
    stability contraction mixing concentration martingales ergodicity stationarity
    seasonality trends periodicity volatility correlations covariances precision
    heteroscedasticity multicollinearity endogeneity instruments propensity matching
    stratification bootstrapping permutation jackknife resampling conformity quantiles
    extremes tails copulas dependence networks communities motifs centrality percolation
    epidemics contagion diffusion opinion polarization misinformation moderation
    accessibility usability interaction visualization dashboards provenance lineage
    reproducibility auditing governance accountability licensing consent
    """
)

#: Nouns naming the thing a method is (the head of "a sparse spectral estimator").
HEADS = _words(
    """
    framework method approach model algorithm estimator objective loss regularizer
    architecture module layer mechanism encoder decoder representation pipeline procedure
    scheme strategy protocol benchmark dataset metric criterion test bound analysis
    formulation relaxation solver sampler scheduler router controller planner policy critic
    verifier generator discriminator retriever reranker tokenizer adapter prompt library
    toolkit simulator environment sketch kernel prior surrogate proxy baseline heuristic
    recipe parameterization decomposition embedding codebook projection filter operator
    transform network graph
    """
)

#: What the data are: things in the world that papers model (plural nouns).
OBJECTS = _words(
    """
    images videos documents sentences tokens molecules proteins genes cells tissues
    radiographs scans spectra trajectories sensors satellites galaxies stars earthquakes
    glaciers rivers crops forests fires floods storms hurricanes aerosols clouds emissions
    buildings bridges roads vehicles pedestrians drones robots grippers joints prosthetics
    patients hospitals prescriptions symptoms diagnoses electrocardiograms electroencephalograms
    biopsies mammograms retinas tumors lesions vaccines antibodies enzymes ligands crystals
    alloys polymers catalysts batteries electrolytes membranes semiconductors qubits circuits
    chips transistors photons lasers antennas radars channels packets routers datacenters
    servers logs traces invoices transactions loans markets portfolios auctions contracts
    claims policies statutes courts elections legislators voters surveys census households
    students classrooms textbooks essays exams lectures recipes songs lyrics poems novels
    tweets posts comments reviews memes podcasts speakers accents dialects languages
    repositories commits patches bugs tests compilers binaries malware phishing passwords
    fingerprints faces gestures poses skeletons hands garments shoes furniture scenes rooms
    meshes surfaces volumes terrains maps streets cities neighborhoods commuters taxis
    flights ships ports warehouses shipments inventories farms livestock fisheries bees
    birds insects plants seeds soils wetlands oceans coral plankton microbiomes viruses
    bacteria pathogens outbreaks wildfires droughts heatwaves tides wind solar grids
    """
)

#: Verbs for what a method does (third person).
VERBS = _words(
    """
    learns estimates predicts aligns decomposes factorizes reweights rescales prunes
    distills compresses quantizes routes retrieves reranks samples denoises reconstructs
    encodes decodes projects interpolates extrapolates regularizes penalizes constrains
    relaxes linearizes approximates bounds certifies verifies calibrates adapts transfers
    aggregates synchronizes partitions clusters ranks matches tracks segments localizes
    detects generates edits steers probes attributes explains summarizes translates parses
    grounds plans schedules allocates caches shards batches prefetches parallelizes
    amortizes marginalizes conditions infers identifies disentangles composes orchestrates
    """
)

#: What results are measured in.
METRICS = (
    "accuracy",
    "F1",
    "exact match",
    "perplexity",
    "BLEU",
    "ROUGE-L",
    "AUROC",
    "mean average precision",
    "recall at 10",
    "NDCG",
    "expected calibration error",
    "top-1 accuracy",
    "mIoU",
    "PSNR",
    "FID",
    "success rate",
    "return",
    "regret",
    "wall-clock time",
    "throughput",
    "memory footprint",
    "energy use",
    "mean absolute error",
    "RMSE",
    "pass@1",
    "win rate",
    "coverage",
    "worst-group accuracy",
    "Dice score",
    "sample efficiency",
)

#: Parts of coined technical words ("photo" + "acoustic"), as the sciences make them.
PREFIXES = _words(
    """
    photo electro magneto thermo hydro chrono neuro cardio geo bio nano micro aero cryo
    spectro piezo opto immuno cyto litho seismo radio acousto gluco myo osteo derm hemo
    chemo mechano baro tribo iono helio astro paleo ortho para meta poly mono hetero homo
    iso allo xeno endo exo peri trans
    """
)
SUFFIXES = _words(
    """
    acoustic elastic kinetic genic tropic morphic static lytic chromic phoretic plastic
    metric graphic dynamic tonic scopic thermal magnetic conductive luminescent resistive
    catalytic synthetic genomic proteomic cellular vascular spatial temporal sensory
    motor lithic chemical physical optical nuclear mechanical spectral tactile
    """
)

#: Pieces of names given to methods, data sets and systems ("Long" + "Bench").
NAME_HEADS = _words(
    """
    Long Wiki Med Code Math Chem Bio Geo Astro Legal Fin Edu Agri Eco Neuro Cardio Onco
    Retina Derm Path Radio Sat Aero Auto Robo Nav Drive City Urban Traffic Grid Power Solar
    Wind Ocean Climate Storm Quake Flood Fire Crop Plant Soil Seed Cell Gene Prot Mol Drug
    Vax Chart Table Doc Form Scene Room Pose Hand Face Voice Speech Music Song Poem Story
    News Tweet Post Forum Review Query Search Graph Net Web Mail Chat Dialog Agent Tool Plan
    Proof Logic Theorem Lean Spider Hop Multi Omni Uni Poly Meta Hyper Micro Nano Tiny Mini
    Open Free Fast Quick Deep Dense Sparse Light Swift Sharp Clear True Fair Safe Secure
    Trust Vera Echo Nova Atlas Orion Vega Lyra Helix Prism Quartz Cobalt Ember Aurora
    """
)
NAME_TAILS = _words(
    """
    Bench QA Net Former Match Mix Flow Rank Tune Prompt Graph Diff Gen Edit Eval Set Suite
    Arena Hub Base Bank Corpus Data Pile Book Log Trace Map Scope Lens Sense Seg Det Track
    Pose Plan Nav Sim Gym World Lab Kit Pro Zero Star Verse Mind Think Reason Coder Chem Med
    Vision Speech Sound Voice Text Doc Table Chart Sum Tox Safe Guard Shield
    """
)

#: Model families abstracts name, with a version and a size.
MODEL_FAMILIES = (
    "Llama",
    "Qwen",
    "Mistral",
    "Gemma",
    "Phi",
    "GPT",
    "BERT",
    "RoBERTa",
    "DeBERTa",
    "ResNet",
    "ViT",
    "Swin",
    "CLIP",
    "DINO",
    "Falcon",
    "OLMo",
    "Pythia",
    "DeepSeek",
    "Mamba",
    "Whisper",
    "ConvNeXt",
    "EfficientNet",
    "UNet",
    "GraphSAGE",
)


# Ways of saying the same thing. Authors phrase the glue of an abstract in many ways; with
# one phrasing per slot, the glue words would be in every abstract. Ordered from common
# to rare, like the lists above.
EXISTING = _words(
    """
    existing prior current previous standard conventional popular classical mainstream
    earlier typical leading widely-used off-the-shelf established contemporary
    """
)
APPROACHES = _words(
    """
    approaches methods techniques models algorithms pipelines systems solutions frameworks
    heuristics recipes strategies formulations baselines schemes
    """
)
IMPROVES = _words(
    """
    improves boosts raises increases enhances lifts advances strengthens sharpens elevates
    """
)
REDUCES = _words("reduces cuts lowers decreases shrinks halves trims curbs diminishes")
SHOW = _words(
    """
    show demonstrate confirm indicate reveal suggest establish verify illustrate attest
    """
)
EXPERIMENTS = _words(
    """
    experiments evaluations studies tests trials simulations benchmarks comparisons
    analyses ablations
    """
)
SIGNIFICANT = _words(
    """
    significant substantial consistent large marked notable sizeable clear steady strong
    considerable pronounced
    """
)
PROBLEMATIC = _words(
    """
    brittle costly fragile unreliable inefficient inaccurate unstable biased slow wasteful
    opaque limited restrictive impractical error-prone
    """
)
HARD = _words(
    """
    hard difficult challenging nontrivial delicate demanding subtle intractable elusive
    """
)
PROPOSE = _words(
    """
    propose introduce present develop design describe formulate devise construct study
    """
)
KEY = _words("key central main core crucial principal essential fundamental primary")
EFFECTIVE = _words(
    """
    effective efficient accurate scalable simple robust practical flexible general
    principled versatile reliable
    """
)
NUMEROUS = _words("several multiple many various diverse numerous eleven twelve five seven")
ANALYSIS = _words(
    """
    analysis investigation examination inspection study diagnosis breakdown dissection
    """
)


# The long tail of each list: rarer words, from the sciences beyond machine learning.
MODIFIERS += _words(
    """
    acyclic additive affine algebraic allometric ambient amortized analytic angular
    antisymmetric aperiodic arbitrary asymmetric atomistic auxiliary axial banded baroclinic
    barotropic benign binary binomial biophysical bipartite blind bounded branching brittle
    canonical cardinal catalytic cellular centralized chaotic chiral circular clinical
    coarse coherent collaborative collective compact comparative competitive complementary
    concave concurrent conditional confounded conjugate conservative constrained contextual
    contractive convective cooperative coordinated correlated coupled covariant critical
    cumulative cyclic damped deformable degenerate dense diagonal diffusive dimensionless
    directed dissipative divergent dominant dormant dual dyadic dynamical eccentric ecological
    elastic electrostatic elliptic embedded emergent empirical endogenous entropic ergodic
    evolutionary excitatory exogenous exponential extensible extrinsic factorial feasible
    fine-grained fluid forward fractional fragmented functional gaussian genomic global
    gradient-free granular gravitational harmonic hidden holistic homologous hyperspectral
    idiosyncratic immersive inductive inertial infinite inhibitory inhomogeneous integral
    intermittent intrinsic inverse irreducible irreversible iterative joint kinematic laminar
    large-scale lateral layered lexical linear local logarithmic longitudinal lossless lossy
    macroscopic marginal masked maximal medial mesoscale metabolic microscopic minimal mixed
    modal molecular monotonic morphological multiplicative multistage mutual narrow nested
    nominal normative numerical oblique occluded optimal ordinary orthotropic oscillatory
    paired parallel partial passive periodic peripheral persistent perturbative phenotypic
    planar plastic pointwise populational porous positional posterior predictive preemptive
    primal projective proximal pseudo-random radial random rational reactive recursive
    redundant reflexive regional relative residual resonant reversible rotational saturated
    scalar seasonal secondary selective semantic sequential shallow sheared shifted singular
    skewed smooth social soft solvable spatiotemporal stable static statistical steady
    stiff strategic stratified subcellular sublinear superlinear supervised surrogate
    synchronous synthetic systematic tangential targeted tempered tensorial terminal textual
    thermal thin threshold tight topical torsional total transient translational transverse
    triangular truncated turbulent uniform unimodal unitary universal unlabeled unobserved
    unstructured upstream vectorial viscous visual volatile weak weighted wide
    """
)
CONCEPTS += _words(
    """
    absorption acceleration accretion acidity acoustics activation adhesion adsorption
    advection aggregation albedo allostery amplification anisotropy annealing apoptosis
    arbitrage asymmetry attenuation autophagy backscatter bandgap baroreflex biodiversity
    bioavailability birefringence buoyancy capacitance carbonation cavitation chirality
    chromatin circadian clearance coagulation coalescence cognition coherence cohesion
    colonization combustion commensality compliance conductance conductivity connectivity
    convection corrosion cosmology creep crystallinity cytotoxicity deformation degradation
    dehydration demography deposition desalination desorption dielectrics differentiation
    dispersal dispersion dissipation dissolution dosimetry ductility dynamo ecotoxicity
    elasticity electrophoresis emission emulsification endocytosis entanglement enthalpy
    epigenetics equilibrium erosion evaporation excitability expression extinction
    fatigue fermentation fertility fibrosis filtration fission flocculation fluorescence
    fluxes foraging fracture friction fusion gentrification germination glycolysis
    granularity gravitation habitat hardness heritability homeostasis hysteresis immunity
    impedance incidence inflammation inflation inheritance insulation interference ionization
    irradiance irrigation isomerization kinetics lactation leakage lensing liquidity
    luminosity magnetization malnutrition mechanotransduction meiosis metastasis methylation
    migration mineralization mitosis mobility morbidity mortality mutation myelination
    neurogenesis nucleation nutrition obesity oscillation osmolarity oxidation
    permeability phosphorylation photosynthesis piezoelectricity plasticity pollination
    porosity precipitation predation productivity proliferation propagation proteolysis
    radiation rainfall recombination redshift reflectance refraction regeneration
    remittances resilience resistivity respiration rheology rigidity runoff salinity
    scattering sedimentation segregation senescence signaling solubility speciation
    stiffness subsidence superconductivity supercooling surfactants symbiosis synapses
    tariffs taxation tectonics thermoregulation torque toughness transcription
    translocation transpiration turbulence unemployment upwelling urbanization vaccination
    valuation vascularization velocity viscosity visibility vorticity weathering wettability
    yield
    """
)
OBJECTS += _words(
    """
    aquifers archives asteroids auroras axons beetles biofilms bioreactors blastocysts
    boreholes brains canopies capillaries cartilage catchments chromosomes cochleas comets
    condensates corneas cortices cyclones dendrites dunes dwellings embryos enterprises
    estuaries exoplanets factories ferns firms fungi gels genomes grasslands hippocampi
    hydrogels ice-sheets implants kidneys lakes lattices leaves lichens livers lungs
    magnetars mangroves manuscripts marshes megacities meteorites microgrids mitochondria
    monsoons mosquitoes muscles nanotubes nebulae neurons nurseries orchards organoids
    parishes pastures peatlands pipelines plasmas plates pollinators pulsars quasars
    railways reefs refineries reservoirs retailers ribosomes rodents saplings savannas
    schools sediments shorelines skyscrapers slums smallholders spindles spores startups
    stomata substations supernovae synapses teeth thunderstorms trees turbines vineyards
    volcanoes wastewater watersheds wells whales wineries workers zebrafish
    """
)
VERBS += _words(
    """
    absorbs accelerates accommodates accumulates activates amplifies anchors annotates
    anticipates assembles augments balances bridges buffers captures characterizes
    coarsens collapses combines compensates complements condenses coordinates corrects
    couples curates dampens deblurs delineates densifies discretizes disperses distorts
    embeds emulates enforces enriches equalizes exploits filters fuses gates hashes
    homogenizes imputes integrates isolates localizes mines mitigates models normalizes
    perturbs pools propagates quantifies randomizes recalibrates recovers refines
    resamples restores screens simulates smooths sparsifies stabilizes stratifies
    subsamples tiles tokenizes triangulates unrolls upsamples warps whitens
    """
)

#: Openings of a method sentence.
OPENERS = (
    "Specifically,",
    "Concretely,",
    "In particular,",
    "To this end,",
    "Moreover,",
    "In addition,",
    "Crucially,",
    "At each step,",
    "During training,",
    "At inference time,",
    "Building on this,",
    "In practice,",
    "Formally,",
    "Intuitively,",
    "Internally,",
    "Beyond that,",
    "On top of this,",
    "As a result,",
    "Notably,",
    "To stabilize learning,",
    "For efficiency,",
    "Unlike earlier designs,",
    "In contrast to fixed schedules,",
    "Under the hood,",
)
#: Ends of a method sentence ({} is filled by the sentence).
MANNERS = (
    "via",
    "using",
    "through",
    "by means of",
    "with the help of",
    "guided by",
    "conditioned on",
    "informed by",
    "regularized by",
    "supervised by",
    "weighted by",
    "in the spirit of",
    "borrowing ideas from",
    "on top of",
    "in place of",
    "instead of",
    "without",
    "while preserving",
    "while controlling",
    "at the level of",
)

#: Ends of coined nouns ("magneto" + "metry").
NOUN_SUFFIXES = _words(
    """
    metry graphy scopy genesis lysis stasis kinesis phoresis tropism morphism plasty
    logy nomics dynamics mechanics statics therapy sensing chemistry physics
    """
)
#: Adverbs a method sentence may qualify its verb with.
ADVERBS = _words(
    """
    jointly explicitly implicitly adaptively automatically iteratively progressively
    selectively dynamically locally globally sequentially simultaneously provably
    empirically efficiently approximately exactly robustly stochastically greedily lazily
    recursively hierarchically incrementally collaboratively adversarially symmetrically
    uniformly sparsely densely partially fully loosely tightly softly directly indirectly
    continuously periodically randomly deterministically geometrically spectrally causally
    temporally spatially linearly monotonically smoothly coherently independently
    conditionally asymptotically analytically numerically heuristically opportunistically
    """
)

# More of the tail: general scholarly words every field uses now and then.
MODIFIERS += _words(
    """
    abrupt abundant accessible accountable actionable adjustable admissible aggregate
    agnostic aligned ambiguous amenable analogous ancillary annual anomalous apparent
    applicable arbitrated archival assistive atypical audible augmented autonomous
    available balanced baseline biased bimodal blended bottom-up bursty causal-aware
    censored chronic circumstantial clustered cognitive coincident commensurate
    communal concise concrete confident congruent consensual consistent contiguous
    contested controllable conversational corrective costless credible cross-modal
    cross-domain crowdsourced curated customary cyclical daily decisive declarative
    decoupled deep default deferred definitive deliberate demographic dependable
    descriptive detailed diagnostic disaggregated disjoint disparate distal diurnal
    domain-specific dormant drastic durable early economical editorial elementary
    elevated eligible encrypted endemic enduring enriched entangled episodic equitable
    erroneous ethical everyday evolving excessive expensive experimental expressive
    extensive extreme factual fallible familiar favorable federal fictional fixed flexible
    fluent focal foreign formal fragile frequent frugal generic genuine gradual graphical
    habitual handcrafted hazardous held-out hierarchic historic hypothetical idealized
    immutable impartial imperfect implausible inclusive inconsistent independent indirect
    individual informal inherent initial innate instantaneous institutional intense
    interactive intermediate internal international intuitive invasive irregular isolated
    known late latent-space lenient lifelong limited literal live logical long-range
    low-resource manual massive mature measurable mechanistic medical mild minor
    misaligned missing mobile moderate modest multi-hop multi-turn municipal mutable
    national native natural nearby negative neutral nominal novel objective obscure
    occasional open-ended operational opportunistic ordered organic overlapping
    paradoxical partisan patchy perceptual permanent personal physical plausible
    pluralistic political popular portable practical precise preliminary premature
    prescriptive prevalent primary principled prior private procedural prolonged
    prospective provisional public qualitative quantitative rapid rare real-time
    realistic recent reciprocal recurring referential regulatory reliable remote
    repeated representative resilient retrospective rich rough routine rural safe scarce
    scientific seasonal self-reported semi-structured sensitive shared short-term silent
    simulated situated skilled slow small-scale societal spontaneous stale standardized
    stringent subjective subtle successive sudden sufficient superficial suspicious
    sustainable tacit tentative theoretical timely tolerant traditional transparent
    trustworthy typical ubiquitous unbiased uncertain uneven unfamiliar unified unknown
    unreliable unseen unstable urban usable valid variable verbal verifiable vulnerable
    web-scale well-known worldwide
    """
)
CONCEPTS += _words(
    """
    abstention accountability adherence admissibility affordance agency ambiguity
    anonymity arbitration articulation assimilation attrition authorship autonomy
    benchmarking bottlenecks burden cadence capacity cascades censorship certainty
    churn citation coercion collusion commitment comparability competence complexity
    composition comprehension compromise congestion connotation consolidation
    contamination contention continuity controllability convergence cooperation
    coordination coverage credibility criticality curation deception deliberation
    dependency deployment desirability deterrence diagnosability disagreement
    discoverability disparity displacement disruption distortion diversity dominance
    duplication durability efficacy elicitation eligibility emergence empathy
    engagement equity escalation ethics evidence expertise explainability exposure
    expressiveness extrapolation falsifiability familiarity feasibility fidelity
    flexibility fluency fragility friction generality granularity heterogeneity
    hierarchy hindsight homophily hypotheses imbalance immersion impartiality
    incentives inclusion inconsistency independence inequality informativeness
    instability integrity intent interoperability intuition invariance legibility
    leniency literacy locality longevity maintainability manipulability mediation
    mismatch misuse modularity monotonicity motivation narratives negotiation novelty
    nuance objectivity obsolescence occlusion openness originality oversight ownership
    parsimony participation perception persistence persuasion plausibility portability
    predictability prevalence proficiency provenance proximity readability realism
    reciprocity redundancy reliability relevance representativeness reputation
    responsiveness reusability salience scalability scarcity scrutiny selectivity
    sensitivity serendipity simplicity specificity specification stakeholders
    standardization stewardship subjectivity sufficiency sustainability tolerance
    traceability tractability transparency trust uncertainty understandability
    uniformity usability validity variability versatility vulnerability
    """
)
