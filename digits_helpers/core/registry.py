"""The study's fixed vocabulary: its stages, its models and its search strategies.

The bottom of the package: it imports nothing from it, and every other module takes
these names from here, so that adding a model or a stage is one entry below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One notebook of the study and the results file it writes.

    Attributes
    ----------
    key : str
        The stage's name: its results file is ``<key>.json`` in the run folder and
        its section of ``results.json`` is ``<key>``.
    notebook : str
        The notebook's file name without ``.ipynb``.
    reads : tuple of str
        The stages whose results the notebook loads.
    """

    key: str
    notebook: str
    reads: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        """The notebook's file name."""
        return f"{self.notebook}.ipynb"


STAGES: tuple[Stage, ...] = (
    Stage("preprocessing", "01_preprocessing"),
    Stage("sklearn", "02_sklearn_search"),
    Stage("keras", "03_keras_sweeps"),
    Stage("beyond", "04_beyond_the_mlp"),
    Stage("comparison", "05_comparison", reads=("sklearn", "keras", "beyond")),
    # Reads the models the earlier stages saved, and the comparison's choice of the best.
    Stage("reading", "06_reading_a_form", reads=("sklearn", "keras", "beyond", "comparison")),
    # Trains the reader on real digits of many writers; sets it beside the study's models.
    Stage(
        "reader",
        "07_a_reader_for_other_hands",
        reads=("sklearn", "keras", "beyond", "comparison", "reading"),
    ),
)
STAGE_KEYS = tuple(stage.key for stage in STAGES)


def stage(key: str) -> Stage:
    """The stage named ``key``; a ``ValueError`` lists the known ones.

    Parameters
    ----------
    key : str
        One of :data:`STAGE_KEYS`: ``"preprocessing"``, ``"sklearn"``, ``"keras"``,
        ``"beyond"``, ``"comparison"`` or ``"reading"``.

    Returns
    -------
    Stage
        Its notebook and the stages it reads.

    Raises
    ------
    ValueError
        If ``key`` names no stage.
    """
    for candidate in STAGES:
        if candidate.key == key:
            return candidate
    raise ValueError(f"stage must be one of {', '.join(STAGE_KEYS)} (got {key!r})")


@dataclass(frozen=True)
class Model:
    """One model the study trains and compares.

    Attributes
    ----------
    name : str
        How the book names it (``"scikit-learn MLP"``); the key of its row in every table.
    key : str
        A short identifier for glue names and files (``"sklearn"``).
    is_mlp : bool
        Whether it is a multilayer perceptron (the question the reference asked).
    stage : str
        The stage (chapter) that chooses and trains it.
    """

    name: str
    key: str
    is_mlp: bool
    stage: str


SKLEARN_MLP = Model("scikit-learn MLP", "sklearn", is_mlp=True, stage="sklearn")
KERAS_MLP = Model("Keras MLP", "keras", is_mlp=True, stage="keras")
SHIFTED_MLP = Model("MLP + shifts", "shifted_mlp", is_mlp=True, stage="beyond")
CNN = Model("CNN", "cnn", is_mlp=False, stage="beyond")
SVC = Model("RBF SVC", "svc", is_mlp=False, stage="beyond")
MODELS: tuple[Model, ...] = (SKLEARN_MLP, KERAS_MLP, SHIFTED_MLP, CNN, SVC)
# The reference study's two libraries, compared head to head in the comparison chapter.
LIBRARY_MLPS: tuple[Model, ...] = (SKLEARN_MLP, KERAS_MLP)
BEYOND_MODELS: tuple[Model, ...] = tuple(m for m in MODELS if m.stage == "beyond")
# The model for reading forms (chapter 7): trained on real digits of many writers, not on
# the study's split, so it is not among the MODELS the comparison retrains and ranks.
READER = Model("Reader", "reader", is_mlp=False, stage="reader")
# The team's goals for the reader on strangers' digits read from files, fixed before any
# run: digits read right, digits answered (not ?), five-digit strips read exactly. The
# accuracy required among the answered is the parameter sure_accuracy.
READER_GOALS = {"accuracy": 0.98, "answered": 0.95, "strips": 0.90}
SAVED_MODELS: tuple[Model, ...] = (*MODELS, READER)


def model(name: str) -> Model:
    """The model called ``name`` in the book; a ``ValueError`` lists the known ones.

    Parameters
    ----------
    name : str
        A :attr:`Model.name` of :data:`SAVED_MODELS`, such as ``"scikit-learn MLP"``.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        If no model has that name.
    """
    for candidate in SAVED_MODELS:
        if candidate.name == name:
            return candidate
    known = ", ".join(m.name for m in SAVED_MODELS)
    raise ValueError(f"model must be one of {known} (got {name!r})")


# The datasets a run may load (digits_helpers.data.digits.load_dataset): scikit-learn's 8x8 digits,
# shipped with it, or MNIST's 28x28 digits read from the user's own files (data_dir).
# The shipped profiles of parameters (digits_helpers/run/profiles/<name>.yaml), smallest first.
PROFILES = ("smoke", "quick", "full", "mnist")

DATASETS = ("digits", "mnist")
# The datasets whose files the user supplies in the folder of the ``data_dir`` parameter.
DATASETS_FROM_FILES = ("mnist",)

# What the literature reports on MNIST, stated in the book as targets for a run on MNIST: a
# reference, not a like-for-like comparison, since the study pools the digits of its files
# (10,000 from `make data`, 70,000 from MNIST's own) and splits them its own way, not along
# MNIST's official 60,000/10,000 line. The table of the MNIST page (LeCun, Cortes and
# Burges) lists 1.6 % test error for "2-layer NN, 800 HU, Cross-Entropy Loss" (Simard,
# Steinkraus and Platt 2003), so about 98.4 % accuracy, and 0.95 % for LeNet-5 without
# distortions (LeCun, Bottou, Bengio and Haffner 1998), so about 99 %. The methods page
# gives the references.
N_CLASSES = 10  # the digits 0 to 9, in every dataset
MNIST_IMAGE_SHAPE = (28, 28)  # MNIST's digits; the 8x8 digits' shape comes with them
MNIST_MLP_REFERENCE = 0.984
MNIST_CNN_REFERENCE = 0.99

# How the scikit-learn grid is searched: every combination, every combination that
# trains a distinct model, or successive halving on that reduced grid.
SEARCH_STRATEGIES = ("grid", "effective-grid", "halving")

# How the CNN's training digits may be grown (digits_helpers.data.augment.augmented): as they are,
# shifted by one pixel, or also varied as scans and other hands vary them.
CNN_AUGMENTATIONS = ("none", "shifts", "scan")

# digits-book predict prints a digit only when the model gives it at least this
# probability; below it, "?" and the model's best guesses. The reader's own threshold,
# chosen on validation digits of other hands (chapter 7), is in its card and used instead.
UNSURE_BELOW = 0.8
