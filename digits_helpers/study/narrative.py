"""Sentences that state a run's results, generated from the numbers themselves.

A notebook shows these with ``IPython.display.Markdown``; re-running with other
parameters rewrites them, so the prose cannot disagree with the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats

from digits_helpers.core.formatting import describe_params, pct, points
from digits_helpers.core.registry import CNN, KERAS_MLP, MODELS, SHIFTED_MLP, SVC
from digits_helpers.study.evaluate import paired_t_test


class Verdict(NamedTuple):
    """The answer to one of the study's questions, and the evidence for it.

    Attributes
    ----------
    answer : str
        One sentence: the answer, for a reader who reads nothing else.
    evidence : str
        The numbers and tests behind it, in plain prose.
    """

    answer: str
    evidence: str

    def __str__(self) -> str:
        return f"{self.answer} {self.evidence}".strip()


def plain(markdown: str) -> str:
    """Markdown prose without emphasis or code marks, for gluing into another page's text.

    Parameters
    ----------
    markdown : str
        Text from one of this module's functions.

    Returns
    -------
    str
        The text with every ``**`` and backtick removed.
    """
    return markdown.replace("**", "").replace("`", "")


def _versus_target(accuracy: float, target: float) -> str:
    if accuracy >= target:
        return f"above the {pct(target, 0)} target"
    return f"**below** the {pct(target, 0)} target"


def search_conclusion(sklearn: Mapping, *, test_accuracy: float, target: float) -> str:
    """What the MLPClassifier search found, in two short paragraphs.

    A third says which grid arguments were left out because the solver ignores them.

    Parameters
    ----------
    sklearn : Mapping
        The search's summary (:meth:`digits_helpers.models.search.SearchResult.summary`):
        ``n_candidates``, ``n_fits``, ``strategy``, ``search_seconds``,
        ``best_cv_score``, ``best_params``, ``best_n_iter`` and optionally
        ``ignored_params``.
    test_accuracy : float
        The refitted best model's test accuracy, a fraction.
    target : float
        The accuracy the study aims for, a fraction.

    Returns
    -------
    str
        Markdown.
    """
    ignored = sklearn.get("ignored_params") or {}
    lines = [
        f"The search evaluated {sklearn['n_candidates']} "
        f"candidate{'' if sklearn['n_candidates'] == 1 else 's'} "
        f"({sklearn['n_fits']} fits, strategy `{sklearn['strategy']}`) in "
        f"{sklearn['search_seconds']:.1f} s. The best candidate reached a cross-validated "
        f"accuracy of **{pct(sklearn['best_cv_score'])}** with "
        f"{describe_params(sklearn['best_params'])}.",
        "",
        f"Refitted on the whole training set, it classifies **{pct(test_accuracy)}** of the "
        f"held-out test digits correctly, {_versus_target(test_accuracy, target)}; its last "
        f"fit ran {sklearn['best_n_iter']} epochs.",
    ]
    if ignored:
        names = ", ".join(f"`{k}`" for k in ignored)
        lines += [
            "",
            f"The grid also listed {names}, which the solver searched here ignores: their "
            "values did not change a single fitted model, so they were not searched.",
        ]
    return "\n".join(lines)


def sweep_conclusion(runs: Sequence[Mapping], best_index: int, *, target: float) -> str:
    """What the Keras sweep found.

    How many configurations reach the target, and the test accuracy of the one chosen
    on validation; a last paragraph warns when another has the top test accuracy.

    Parameters
    ----------
    runs : Sequence of Mapping
        One summary per configuration
        (:meth:`digits_helpers.models.keras_sweep.KerasSweep.summaries`), each with
        ``test_accuracy`` and ``config`` (``learning_rate``,
        ``batch_size``, ``epochs``).
    best_index : int
        0-based index of the configuration chosen on validation.
    target : float
        The accuracy the study aims for, a fraction.

    Returns
    -------
    str
        Markdown; models are numbered from 1.
    """
    accuracies = [r["test_accuracy"] for r in runs]
    above = sum(a >= target for a in accuracies)
    best = runs[best_index]
    top = max(range(len(runs)), key=lambda i: accuracies[i])
    text = [
        f"{above} of {len(runs)} configurations reach the {pct(target, 0)} target on the test "
        f"set (range {pct(min(accuracies))} to {pct(max(accuracies))}).",
        "",
        f"Chosen by its final validation accuracy, **model {best_index + 1}** "
        f"(learning rate {best['config']['learning_rate']}, batch size "
        f"{best['config']['batch_size']}, {best['config']['epochs']} epochs) scores "
        f"**{pct(best['test_accuracy'])}** on the test set.",
    ]
    if top != best_index:
        text += [
            "",
            f"Model {top + 1} scores higher on the test set ({pct(accuracies[top])}), but "
            "picking it for that reason would tune on the test set and overstate what to "
            "expect on new forms.",
        ]
    return "\n".join(text)


def comparison_verdict(
    *,
    sklearn_accuracy: float,
    keras_accuracy: float,
    mcnemar_p: float,
    sklearn_repeated: Mapping[str, float],
    keras_repeated: Mapping[str, float],
    paired_p: float,
    n_seeds: int,
    n_test: int,
    alpha: float = 0.05,
    discordant: int | None = None,
    sklearn_scores: Sequence[float] | None = None,
    keras_scores: Sequence[float] | None = None,
) -> Verdict:
    """The verdict on the two MLPs, worded by what the two tests allow.

    A difference neither test finds is "not shown", never "no difference": with few test
    digits on which the two disagree, McNemar's test cannot find one however lopsided
    they are, and the evidence says so.

    Parameters
    ----------
    sklearn_accuracy, keras_accuracy : float
        The two MLPs' test accuracies on the default split, fractions.
    mcnemar_p : float
        McNemar's exact p-value on the default split.
    sklearn_repeated, keras_repeated : Mapping of str to float
        Their repeated-split ``mean`` and ``std`` accuracies, as
        :func:`~digits_helpers.study.evaluate.mean_and_spread` returns them.
    paired_p : float
        The corrected resampled t-test's p-value; NaN when undefined.
    n_seeds : int
        Number of repeated splits.
    n_test : int
        Number of test digits in the default split.
    alpha : float, default=0.05
        Significance level of both tests.
    discordant : int, optional
        The test digits exactly one of the two MLPs got right (McNemar's test sees only
        these); with it, the evidence says when they are too few for the test to find
        any difference.
    sklearn_scores, keras_scores : Sequence of float, optional
        Their accuracies split by split; with them, the evidence counts the splits each
        won.

    Returns
    -------
    Verdict
        The answer the two tests allow together, in one sentence; then the default
        split and McNemar's test, the repeated splits and the t-test, and advice.
    """
    diff = keras_accuracy - sklearn_accuracy
    leader = "Keras" if diff > 0 else "scikit-learn"
    if diff == 0:
        single = "Both MLPs score the same on the default split"
    else:
        single = (
            f"On the default split the {leader} MLP is ahead by {points(abs(diff))} "
            f"({pct(sklearn_accuracy)} for scikit-learn, {pct(keras_accuracy)} for Keras)"
        )
    on_split = mcnemar_p < alpha
    verdict = (
        f"McNemar's exact test gives p = {mcnemar_p:.3f}: "
        + ("the difference is significant" if on_split else "**not significant**")
        + f" at the {alpha:.2f} level."
    )
    gap = keras_repeated["mean"] - sklearn_repeated["mean"]
    repeated_leader = "Keras" if gap > 0 else "scikit-learn"
    if math.isnan(paired_p):
        test = "the corrected t-test is undefined: the gap was the same on every split"
        across = False
    else:
        test = f"the corrected resampled t-test gives p = {paired_p:.3f}"
        across = paired_p < alpha
    repeated = (
        f"Over {n_seeds} random splits the scikit-learn MLP averages "
        f"{pct(sklearn_repeated['mean'])} (sd {pct(sklearn_repeated['std'])}) and the Keras MLP "
        f"{pct(keras_repeated['mean'])} (sd {pct(keras_repeated['std'])}); {test}."
    )
    if sklearn_scores is not None and keras_scores is not None:
        a, b = np.asarray(sklearn_scores), np.asarray(keras_scores)
        repeated += (
            f" The scikit-learn MLP scored higher on {int((a > b).sum())} of the {len(a)} "
            f"splits, the Keras MLP on {int((b > a).sum())}."
        )
    if discordant is not None and 2 * 0.5**discordant >= alpha:
        verdict += (
            f" The two disagree on only {discordant} test digits: even if one MLP had won "
            f"all of them, McNemar's test could not have gone below p = "
            f"{2 * 0.5**discordant:.3f}, so this split has too little power to tell them apart."
        )
    if on_split and across and leader == repeated_leader:
        answer = f"Yes: both tests favour the {leader} MLP."
        closing = (
            "On these digits it is the more accurate of the two, by a margin worth weighing "
            "against its cost."
        )
    elif on_split:
        answer = (
            f"Not clearly: the {leader} MLP wins on the default split, but the repeated "
            "splits do not confirm it."
        )
        closing = (
            "The difference may belong to this one split. Choose on cost and convenience as "
            "much as on accuracy."
        )
    elif across:
        answer = (
            f"Perhaps: across splits the {repeated_leader} MLP is ahead, though on the default "
            "split the difference is within the noise."
        )
        closing = "The evidence for it is modest."
    else:
        answer = (
            f"Not shown to differ: neither test finds a difference between the two MLPs at "
            f"the {alpha:.2f} level, on {n_test} test digits and {n_seeds} repeated splits."
        )
        closing = (
            "Not finding a difference is not evidence that there is none: a smaller one may "
            "be there, below what these digits can show. Choose on cost and convenience, or "
            "test on more digits."
        )
    return Verdict(answer, " ".join([single + ". " + verdict, repeated, closing]))


def _article(digit: int) -> str:
    return "an" if digit == 8 else "a"


def confusion_summary(cm, *, top: int = 3) -> str:
    """The most frequent mistakes in a confusion matrix, as a sentence.

    Parameters
    ----------
    cm : array-like
        Square confusion matrix, true class by row and predicted class by column,
        as from :func:`~digits_helpers.study.evaluate.confusion`.
    top : int, default=3
        How many of the most frequent confusions to name (ties: lower true class,
        then lower predicted class first).

    Returns
    -------
    str
        The number of mistakes and the most frequent ones; also the digit missed
        most often, when a single digit is missed more than once and more than
        any other.
    """
    cm = np.asarray(cm)
    errors = cm.sum() - np.trace(cm)
    if errors == 0:
        return "The model classifies every test digit correctly."
    off = [
        (int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j and cm[i, j]
    ]
    off.sort(key=lambda item: (-item[0], item[1], item[2]))
    parts = [f"{_article(i)} {i} read as {j} ({n}x)" for n, i, j in off[:top]]
    missed = cm.sum(axis=1) - np.diag(cm)
    text = (
        f"The model makes {errors} {'mistake' if errors == 1 else 'mistakes'} on "
        f"{int(cm.sum())} test digits. The most frequent: " + ", ".join(parts) + "."
    )
    worst = np.flatnonzero(missed == missed.max())
    if len(worst) == 1 and missed.max() > 1:
        text += f" The digit missed most often is {int(worst[0])} ({int(missed.max())} times)."
    return text


def beyond_conclusion(models: Sequence[Mapping], *, target: float, mlp_target: float) -> str:
    """How each model of the beyond-the-MLP chapter did against the chapter's goals.

    Parameters
    ----------
    models : Sequence of Mapping
        At least one model summary (:meth:`digits_helpers.models.beyond.BeyondRun.summary`)
        with ``name``, ``test_accuracy`` (a fraction) and ``train_seconds``.
    target : float
        The goal for the best of the models, a fraction.
    mlp_target : float
        The goal for the MLP trained on shifted digits, a fraction; used only when
        that model is among ``models``.

    Returns
    -------
    str
        Markdown, one paragraph.
    """
    scores = [
        f"the {m['name']} {pct(m['test_accuracy'])} ({m['train_seconds']:.1f} s)" for m in models
    ]
    listed = scores[0] if len(scores) == 1 else ", ".join(scores[:-1]) + " and " + scores[-1]
    best = max(models, key=lambda m: m["test_accuracy"])
    reached = "reaches" if best["test_accuracy"] >= target else "does **not** reach"
    text = (
        f"Test accuracy, with the seconds of training or search: {listed}. The best of "
        f"them, the {best['name']}, {reached} this chapter's goal of {pct(target, 0)}."
    )
    for model in models:
        if model["name"] == SHIFTED_MLP.name:
            reached = "reaches" if model["test_accuracy"] >= mlp_target else "does **not** reach"
            text += (
                f" The {SHIFTED_MLP.name} {reached} the goal of {pct(mlp_target, 1)} for an MLP."
            )
    return text


def interval_summary(table) -> str:
    """Whether the accuracy intervals of the models on one split overlap.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`digits_helpers.study.compare.accuracy_table` returns it: indexed by model
        name, with ``accuracy``, ``ci_low`` and ``ci_high``.

    Returns
    -------
    str
        Markdown naming the most accurate model and the models whose interval's
        upper bound reaches its accuracy.
    """
    best = table["accuracy"].idxmax()
    overlapping = [
        name
        for name in table.index
        if name != best and table.loc[name, "ci_high"] >= table.loc[best, "accuracy"]
    ]
    row = table.loc[best]
    text = (
        f"The most accurate model on this split is the **{best}** ({pct(row['accuracy'])}, "
        f"interval {pct(row['ci_low'], 1)} to {pct(row['ci_high'], 1)})."
    )
    if overlapping:
        names = [f"the {name}" for name in overlapping]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        text += (
            f" The intervals of {listed} reach the {best}'s accuracy: on a test set of this "
            "size, their differences from it are within the noise of the measurement."
        )
    else:
        text += " No other model's interval reaches its accuracy."
    return text


def target_verdict(
    accuracies: Mapping[str, float], *, target: float, n_test: int | None = None
) -> Verdict:
    """Which of the MLPs reach the target on the common test split, and how surely.

    Parameters
    ----------
    accuracies : Mapping of str to float
        The two library MLPs' names -> test accuracies, fractions; the wording
        assumes two.
    target : float
        The accuracy an MLP must reach, a fraction.
    n_test : int, optional
        The number of test digits; with it, each accuracy gets its 95% Wilson interval
        and "reaches" is weighed against it.

    Returns
    -------
    Verdict
        A short answer, then each model's accuracy (and interval) and the target.
    """
    reached = [name for name, accuracy in accuracies.items() if accuracy >= target]
    intervals = {}
    if n_test:
        for name, accuracy in accuracies.items():
            right = round(accuracy * n_test)
            ci = stats.binomtest(right, n_test).proportion_ci(0.95, method="wilson")
            intervals[name] = (float(ci.low), float(ci.high))
    unsure = [name for name in reached if name in intervals and intervals[name][0] < target]
    if len(reached) == len(accuracies) and not unsure:
        answer = "Yes, with either library."
    elif len(reached) == len(accuracies):
        who = " and the ".join(unsure)
        answer = (
            f"Yes on this split, with either library, though not surely: the 95% interval of "
            f"the {who} reaches below the target, so another split could fall short."
        )
    elif reached:
        answer = f"Only the {reached[0]} does on this split."
    else:
        answer = "Not on this split: neither MLP does."

    def scored(name: str, accuracy: float) -> str:
        if name not in intervals:
            return f"the {name} scores {pct(accuracy)}"
        low, high = intervals[name]
        return f"the {name} scores {pct(accuracy)} (95% interval {pct(low)} to {pct(high)})"

    scores = ", ".join(scored(name, acc) for name, acc in accuracies.items())
    return Verdict(
        answer, f"On the common test split {scores}, against a target of {pct(target, 0)}."
    )


def beyond_verdict(
    spread: Mapping[str, Mapping[str, float]],
    *,
    scores: Mapping[str, Sequence[float]] | None = None,
    test_fraction: float | None = None,
    alpha: float = 0.05,
) -> Verdict:
    """Whether a model other than an MLP did better on average over the repeated splits.

    With the per-split ``scores``, the same standard of evidence as for the two MLPs: the
    corrected paired t-test between the best other model and the best MLP decides "yes"
    or "not shown", and the splits each won are counted.

    The MLPs are the two libraries' MLPs and, when it was run, the Keras MLP trained on
    shifted digits. A second sentence sets the shifted sweep beside the plain one; their
    validation choices may pick different configurations, so it compares procedures.

    Parameters
    ----------
    spread : Mapping of str to Mapping
        Model name -> its repeated-split ``mean`` and ``std`` accuracies (fractions),
        as :func:`~digits_helpers.study.evaluate.mean_and_spread` returns them; at least one
        MLP and one other model.

    scores : Mapping of str to Sequence of float, optional
        Model name -> its accuracy split by split (the comparison's ``accuracies``).
    test_fraction : float, optional
        The splits' test share (``test_size``), for the t-test's correction.
    alpha : float, default=0.05
        Significance level of the t-test.

    Returns
    -------
    Verdict
        Yes, not shown or no with the gap, then the test and the spread to weigh it
        against, and the shifted sweep beside the plain one.
    """
    mlps = [m.name for m in MODELS if m.is_mlp and m.name in spread]
    best_mlp = max(mlps, key=lambda name: spread[name]["mean"])
    others = [name for name in spread if name not in mlps]
    best_other = max(others, key=lambda name: spread[name]["mean"])
    gap = spread[best_other]["mean"] - spread[best_mlp]["mean"]
    if gap <= 0:
        answer = (
            f"No: over the repeated splits the best MLP (the {best_mlp}) averages at least "
            f"as much as the {best_other}."
        )
        evidence = []
    else:
        reason = {
            CNN.name: "a network that knows which pixels are neighbours",
            SVC.name: "a kernel method that compares whole images",
        }.get(best_other, f"the {best_other}")
        tested = scores is not None and test_fraction is not None
        p_value = (
            paired_t_test(scores[best_other], scores[best_mlp], test_fraction=test_fraction)
            if tested
            else float("nan")
        )
        shown = tested and not math.isnan(p_value) and p_value < alpha
        if shown or not tested:
            answer = (
                f"Yes: over the repeated splits the {best_other} averages {points(gap)} more "
                f"than the best MLP (the {best_mlp})."
            )
        else:
            answer = (
                f"Not shown: over the repeated splits the {best_other} averages {points(gap)} "
                f"more than the best MLP (the {best_mlp}), but the test does not confirm it."
            )
        evidence = [
            f"That gap is to be set against the splits' standard deviations "
            f"({pct(spread[best_other]['std'])} and {pct(spread[best_mlp]['std'])})."
        ]
        if tested:
            other, mlp = np.asarray(scores[best_other]), np.asarray(scores[best_mlp])
            test_text = (
                "the corrected paired t-test is undefined (the same gap on every split)"
                if math.isnan(p_value)
                else f"the corrected paired t-test gives p = {p_value:.3f}"
            )
            evidence.append(
                f"The {best_other} scored higher on {int((other > mlp).sum())} of the "
                f"{len(other)} splits; {test_text}."
            )
        evidence.append(f"For scanned forms, {reason} is the better starting point if it holds.")
    if SHIFTED_MLP.name in spread and KERAS_MLP.name in spread:
        unshifted, shifted = spread[KERAS_MLP.name], spread[SHIFTED_MLP.name]
        evidence.append(
            f"Rerun on shifted training digits, the Keras sweep (its configuration again "
            f"chosen on validation) averages {pct(shifted['mean'])} (sd {pct(shifted['std'])}),"
            f" against {pct(unshifted['mean'])} (sd {pct(unshifted['std'])}) without shifts."
        )
    return Verdict(answer, " ".join(evidence))


def strangers_verdict(
    table: Mapping[str, Mapping[str, float]], *, best: str, own_accuracy: float, threshold: float
) -> Verdict:
    """How the study's models read real digits of other hands (chapter 6).

    Parameters
    ----------
    table : Mapping of str to Mapping
        Model name -> ``accuracy``, ``answered`` and ``answered_accuracy`` on the held-out
        real digits read from files (:func:`digits_helpers.reading.other_hands.strangers_table`).
    best : str
        The study's best model (over the repeated splits).
    own_accuracy : float
        Its accuracy on its own test digits (the 13 writers it learned from).
    threshold : float
        The probability below which ``predict`` printed ``?``.

    Returns
    -------
    Verdict
        Whether the study's best model reads strangers as well as its own test digits,
        with the numbers.
    """
    row = table[best]
    leader = max(table, key=lambda name: table[name]["accuracy"])
    drop = own_accuracy - row["accuracy"]
    answer = (
        f"Not as well as their own writers: the {best} reads {pct(row['accuracy'], 1)} of the "
        f"digits of strangers right, against {pct(own_accuracy, 1)} of its own test digits."
        if drop > 0.01
        else f"The {best} reads {pct(row['accuracy'], 1)} of the digits of strangers right, "
        f"close to the {pct(own_accuracy, 1)} of its own test digits."
    )
    wrong_sure = 1 - row["answered_accuracy"] if not math.isnan(row["answered_accuracy"]) else 0
    evidence = (
        f"At the threshold of {pct(threshold, 0)} it answers {pct(row['answered'], 1)} of them, "
        f"and {pct(wrong_sure, 1)} of those answers are wrong: a form read this way would "
        f"carry wrong digits printed as sure."
    )
    if leader != best:
        evidence += (
            f" The {leader} reads them best ({pct(table[leader]['accuracy'], 1)}), still "
            f"trained on the same 13 writers."
        )
    return Verdict(answer, evidence)


def reader_verdict(
    held_out: Mapping[str, float],
    strips: Mapping[str, float],
    *,
    goals: Mapping[str, float],
    study_best: str,
    study_best_accuracy: float,
) -> Verdict:
    """Whether the reader meets the team's goals on strangers' digits (chapter 7).

    Parameters
    ----------
    held_out : Mapping
        The reader on the held-out real digits read from files: ``n_digits``,
        ``accuracy``, ``answered`` and ``answered_accuracy`` (at its threshold).
    strips : Mapping
        :func:`~digits_helpers.reading.other_hands.strip_summary` of its strips.
    goals : Mapping
        ``accuracy``, ``answered_accuracy``, ``answered`` and ``strips``: the fractions
        the team asked for.
    study_best : str
        The study's best model, and ``study_best_accuracy`` its accuracy on the same
        digits (chapter 6).
    study_best_accuracy : float
        See ``study_best``.

    Returns
    -------
    Verdict
        Which goals are met, with the measured figures, and the study's best beside it.
    """
    measured = {
        "accuracy": held_out["accuracy"],
        "answered_accuracy": held_out["answered_accuracy"],
        "answered": held_out["answered"],
        "strips": strips["exact"],
    }
    words = {
        "accuracy": "digits read right",
        "answered_accuracy": "right among the digits it answers",
        "answered": "digits answered",
        "strips": "five-digit strips read exactly",
    }
    met = [key for key in words if measured[key] >= goals[key]]
    missed = [key for key in words if key not in met]

    def said(key: str) -> str:
        return f"{pct(measured[key], 1)} {words[key]} (goal {pct(goals[key], 1)})"

    if not missed:
        answer = "Yes, on the digits of these strangers the reader meets every goal."
    elif met:
        answer = (
            f"Partly: the reader meets {len(met)} of the {len(words)} goals; "
            f"{', '.join(words[key] for key in missed)} fall short."
        )
    else:
        answer = "No: the reader meets none of the goals on the digits of these strangers."
    evidence = (
        f"On {held_out['n_digits']:,} held-out real digits read from files: "
        + "; ".join(said(key) for key in words)
        + f". The best model of the study, the {study_best}, reads {pct(study_best_accuracy, 1)} "
        "of the same digits."
    )
    return Verdict(answer, evidence)


def alike_test_digits(row: Mapping) -> str:
    """How many test digits two trainings of one model label alike, as prose.

    Parameters
    ----------
    row : Mapping
        A row of :func:`digits_helpers.study.library_costs.plain_beside_ours`'s table:
        ``test predictions alike`` and ``test digits``.

    Returns
    -------
    str
        ``"all 360 test digits"`` or ``"357 of the 360 test digits"``.
    """
    alike, n = int(row["test predictions alike"]), int(row["test digits"])
    return f"all {n:,} test digits" if alike == n else f"{alike:,} of the {n:,} test digits"


def library_paths_summary(table, *, machine: str) -> str:
    """What this project's training paths save against the plain libraries, in one paragraph.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`digits_helpers.study.library_costs.plain_beside_ours`'s table, indexed by model.
    machine : str
        The processor and its cores, as the book names the machine.

    Returns
    -------
    str
        Markdown: for each library MLP, the seconds of one training by the plain
        library and by this project's path, how much faster, and how many test digits
        the two trained models label alike.
    """
    sentences = []
    for name, row in table.iterrows():
        plain_s, ours_s = row["training s, plain"], row["training s, this project"]
        same = "the two labelled " + alike_test_digits(row) + " alike"
        sentences.append(
            f"the {name}'s chosen settings took {plain_s:,.1f} s with `{row['plain training']}`"
            f" and {ours_s:,.1f} s on this project's path ({plain_s / ours_s:,.1f} times"
            f" faster), and {same}"
        )
    keras = table.loc[KERAS_MLP.name]
    reading = (
        f" To read the {int(keras['test digits']):,} test digits, the Keras MLP's"
        f" `{keras['plain reading']}` took {keras['reading ms per digit, plain']:.3f} ms per"
        f" digit and one call of the model {keras['reading ms per digit, this project']:.3f} ms,"
        " which is how this project and `predict` read."
    )
    return (
        "Trained once more on the common split, "
        + "; ".join(sentences)
        + f". One measurement of each, one after the other, on {machine}: the ratios are"
        " what carries to another machine, not the seconds. Both scikit-learn fits run on"
        " one BLAS thread, as the search's workers do, and the lean loop repeats the"
        " library's arithmetic; the compiled Keras loop draws its own shuffles from the"
        " seed, so its network differs slightly from `fit`'s." + reading
    )


def verdict_glue(verdicts: Mapping[str, Verdict]) -> dict[str, str]:
    """Each question's answer and evidence as plain text, by glue name.

    Parameters
    ----------
    verdicts : Mapping of str to Verdict
        Question name (such as ``"target"``) -> its verdict.

    Returns
    -------
    dict of str to str
        ``<question>_answer`` and ``<question>_evidence`` -> :func:`plain` text.
    """
    glued = {}
    for question, verdict in verdicts.items():
        glued[f"{question}_answer"] = plain(verdict.answer)
        glued[f"{question}_evidence"] = plain(verdict.evidence)
    return glued
