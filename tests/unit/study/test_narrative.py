"""Generated prose says what the numbers say."""

from __future__ import annotations

import numpy as np

from digits_helpers.core.formatting import pct
from digits_helpers.core.registry import SHIFTED_MLP
from digits_helpers.study import narrative

SPREAD = {"mean": 0.97, "std": 0.01, "min": 0.96, "max": 0.98}


def _conclusion(mcnemar_p, paired_p=0.5, keras_mean=0.97):
    return narrative.comparison_verdict(
        sklearn_accuracy=0.975,
        keras_accuracy=0.98,
        mcnemar_p=mcnemar_p,
        sklearn_repeated=SPREAD,
        keras_repeated={**SPREAD, "mean": keras_mean},
        paired_p=paired_p,
        n_seeds=5,
        n_test=360,
    )


def test_pct_writes_percentages_as_the_pages_glue_them():
    assert pct(0.98333) == "98.33%" == f"{0.98333:.2%}"
    assert pct(0.96, 0) == "96%"


def test_comparison_says_not_shown_to_differ_when_p_is_large():
    verdict = _conclusion(0.6)
    assert verdict.answer.startswith("Not shown to differ: neither test finds a difference")
    assert "360 test digits and 5 repeated splits" in verdict.answer
    assert "equally accurate" not in str(verdict)
    assert "**not significant**" in verdict.evidence
    assert "not evidence that there is none" in verdict.evidence


def test_comparison_says_when_too_few_discordant_digits_leave_mcnemar_powerless():
    weak = narrative.comparison_verdict(
        sklearn_accuracy=0.9833,
        keras_accuracy=0.9694,
        mcnemar_p=0.0625,
        sklearn_repeated=SPREAD,
        keras_repeated=SPREAD,
        paired_p=0.2,
        n_seeds=5,
        n_test=360,
        discordant=5,
        sklearn_scores=[0.98, 0.97, 0.99, 0.98, 0.97],
        keras_scores=[0.97, 0.96, 0.98, 0.95, 0.96],
    )
    assert weak.answer.startswith("Not shown to differ")
    assert "disagree on only 5 test digits" in weak.evidence
    assert "could not have gone below p = 0.062" in weak.evidence
    assert "scored higher on 5 of the 5 splits, the Keras MLP on 0" in weak.evidence
    plenty = narrative.comparison_verdict(
        sklearn_accuracy=0.98,
        keras_accuracy=0.97,
        mcnemar_p=0.3,
        sklearn_repeated=SPREAD,
        keras_repeated=SPREAD,
        paired_p=0.2,
        n_seeds=5,
        n_test=360,
        discordant=12,
    )
    assert "too little power" not in plenty.evidence


def test_comparison_names_the_leader_when_both_tests_agree():
    verdict = _conclusion(0.01, paired_p=0.01, keras_mean=0.98)
    assert verdict.answer == "Yes: both tests favour the Keras MLP."
    assert "the difference is significant" in verdict.evidence


def test_comparison_warns_when_only_the_single_split_is_significant():
    verdict = _conclusion(0.01, paired_p=0.4)
    assert verdict.answer.startswith("Not clearly: the Keras MLP wins on the default split")
    assert "the repeated splits do not confirm it" in verdict.answer


def test_comparison_says_perhaps_when_only_the_repeated_splits_are_significant():
    verdict = _conclusion(0.6, paired_p=0.01, keras_mean=0.98)
    assert verdict.answer.startswith("Perhaps: across splits the Keras MLP is ahead")


def test_comparison_handles_an_undefined_t_test():
    verdict = _conclusion(0.6, paired_p=float("nan"))
    assert "undefined" in verdict.evidence and verdict.answer.startswith("Not shown to differ")


def test_a_verdict_reads_as_its_answer_then_its_evidence():
    verdict = narrative.Verdict("Yes.", "Because.")
    assert str(verdict) == "Yes. Because." and str(narrative.Verdict("No.", "")) == "No."


def test_sweep_conclusion_warns_when_test_best_differs_from_chosen():
    runs = [
        {"config": {"learning_rate": 0.1, "batch_size": 8, "epochs": 2}, "test_accuracy": a}
        for a in (0.95, 0.99)
    ]
    text = narrative.sweep_conclusion(runs, best_index=0, target=0.96)
    assert "model 1" in text and "Model 2 scores higher" in text and "1 of 2" in text


def test_search_conclusion_mentions_ignored_hyperparameters():
    summary = {
        "n_candidates": 2,
        "n_fits": 6,
        "strategy": "effective-grid",
        "search_seconds": 1.0,
        "best_cv_score": 0.97,
        "best_params": {"alpha": 0.01},
        "best_n_iter": 50,
        "ignored_params": {"learning_rate": ["adaptive", "constant"]},
    }
    text = narrative.search_conclusion(summary, test_accuracy=0.95, target=0.96)
    assert "`learning_rate`" in text and "**below** the 96% target" in text


def test_confusion_summary_lists_the_most_frequent_mistake_first():
    cm = np.diag([10, 10, 10])
    cm[1, 2] = 3
    cm[0, 2] = 1
    text = narrative.confusion_summary(cm)
    assert text.index("a 1 read as 2 (3x)") < text.index("a 0 read as 2 (1x)")
    assert "missed most often is 1" in text


def test_confusion_summary_of_a_perfect_model():
    assert "every test digit correctly" in narrative.confusion_summary(np.eye(3, dtype=int))


def test_target_verdict_names_the_mlp_that_misses():
    text = str(narrative.target_verdict({"scikit-learn MLP": 0.98, "Keras MLP": 0.95}, target=0.96))
    assert text.startswith("Only the scikit-learn MLP does") and "95.00%" in text


def test_target_verdict_when_both_reach_it():
    verdict = narrative.target_verdict({"a": 0.97, "b": 0.99}, target=0.96)
    assert verdict.answer == "Yes, with either library."
    assert verdict.evidence.endswith("against a target of 96%.")


def test_target_verdict_weighs_reaching_the_target_against_the_interval():
    # 349 and 356 right of 360: the first interval reaches below 96 %, the second does not
    unsure = narrative.target_verdict(
        {"scikit-learn MLP": 356 / 360, "Keras MLP": 349 / 360}, target=0.96, n_test=360
    )
    assert unsure.answer.startswith("Yes on this split, with either library, though not surely")
    assert "the Keras MLP reaches below the target" in unsure.answer
    assert "Keras MLP scores 96.94% (95% interval 94.6" in unsure.evidence
    sure = narrative.target_verdict({"a": 0.995, "b": 0.99}, target=0.96, n_test=2000)
    assert sure.answer == "Yes, with either library."


def test_beyond_verdict_follows_the_repeated_split_means():
    spread = {
        name: {"mean": mean, "std": 0.01}
        for name, mean in (
            ("scikit-learn MLP", 0.97),
            ("Keras MLP", 0.96),
            ("CNN", 0.99),
            ("RBF SVC", 0.98),
        )
    }
    assert narrative.beyond_verdict(spread).answer.startswith(
        "Yes: over the repeated splits the CNN averages 2.00 percentage points more"
    )
    assert "neighbours" in narrative.beyond_verdict(spread).evidence
    spread["RBF SVC"]["mean"] = 0.995
    assert "kernel method" in narrative.beyond_verdict(spread).evidence
    spread["CNN"]["mean"] = spread["RBF SVC"]["mean"] = 0.9
    assert narrative.beyond_verdict(spread).answer.startswith("No:")


def test_beyond_verdict_holds_every_model_to_the_same_test():
    spread = {
        "scikit-learn MLP": {"mean": 0.973, "std": 0.006},
        "Keras MLP": {"mean": 0.96, "std": 0.01},
        "CNN": {"mean": 0.985, "std": 0.004},
    }
    close = {
        "scikit-learn MLP": [0.97, 0.98, 0.97, 0.968, 0.977],
        "Keras MLP": [0.95, 0.96, 0.97, 0.96, 0.96],
        "CNN": [0.98, 0.975, 0.99, 0.99, 0.99],
    }
    verdict = narrative.beyond_verdict(spread, scores=close, test_fraction=0.2)
    assert verdict.answer.startswith("Not shown: over the repeated splits the CNN averages")
    assert "scored higher on 4 of the 5 splits" in verdict.evidence
    assert "corrected paired t-test gives p = " in verdict.evidence
    clear = {**close, "CNN": [s + 0.03 for s in close["scikit-learn MLP"][:4]] + [0.999]}
    shown = narrative.beyond_verdict(spread, scores=clear, test_fraction=0.2)
    assert shown.answer.startswith("Yes: over the repeated splits the CNN")


def test_beyond_verdict_counts_the_shifted_mlp_as_an_mlp():
    spread = {
        name: {"mean": mean, "std": 0.01}
        for name, mean in (
            ("scikit-learn MLP", 0.976),
            ("Keras MLP", 0.970),
            (SHIFTED_MLP.name, 0.983),
            ("CNN", 0.994),
            ("RBF SVC", 0.987),
        )
    }
    text = str(narrative.beyond_verdict(spread))
    assert "1.10 percentage points more than the best MLP (the MLP + shifts)" in text
    assert text.endswith("averages 98.30% (sd 1.00%), against 97.00% (sd 1.00%) without shifts.")
    spread[SHIFTED_MLP.name]["mean"] = 0.995
    text = str(narrative.beyond_verdict(spread))
    assert text.startswith("No: over the repeated splits the best MLP (the MLP + shifts)")
    del spread[SHIFTED_MLP.name]
    assert "shifted" not in str(narrative.beyond_verdict(spread))


def test_beyond_conclusion_names_the_best_model_and_the_goal():
    models = [
        {"name": "MLP + shifts", "test_accuracy": 0.985, "train_seconds": 6.0},
        {"name": "CNN", "test_accuracy": 0.994, "train_seconds": 3.0},
        {"name": "RBF SVC", "test_accuracy": 0.986, "train_seconds": 1.0},
    ]
    text = narrative.beyond_conclusion(models, target=0.99, mlp_target=0.983)
    assert "the MLP + shifts 98.50% (6.0 s), the CNN 99.40% (3.0 s) and the RBF SVC" in text
    assert "the CNN, reaches this chapter's goal of 99%." in text
    assert text.endswith("The MLP + shifts reaches the goal of 98.3% for an MLP.")
    models[1]["test_accuracy"] = 0.9
    models[0]["test_accuracy"] = 0.98
    text = narrative.beyond_conclusion(models, target=0.99, mlp_target=0.983)
    assert "the RBF SVC, does **not** reach" in text
    assert text.endswith("The MLP + shifts does **not** reach the goal of 98.3% for an MLP.")


def test_interval_summary_lists_models_whose_interval_reaches_the_best():
    import pandas as pd

    table = pd.DataFrame(
        {
            "accuracy": [0.99, 0.98, 0.90],
            "ci_low": [0.97, 0.96, 0.87],
            "ci_high": [1.0, 0.995, 0.93],
        },
        index=["CNN", "scikit-learn MLP", "Keras MLP"],
    )
    text = narrative.interval_summary(table)
    assert "**CNN**" in text and "the scikit-learn MLP reach the CNN's accuracy" in text
    assert "Keras MLP reach" not in text


def test_confusion_summary_counts_one_mistake_in_the_singular():
    cm = np.diag([5, 5, 5, 5, 5, 5, 5, 5, 5])
    cm[8, 0] = 1
    text = narrative.confusion_summary(cm)
    assert "makes 1 mistake on" in text and "an 8 read as 0" in text


STRANGERS = {
    "CNN": {"accuracy": 0.79, "answered": 0.8, "answered_accuracy": 0.874},
    "RBF SVC": {"accuracy": 0.70, "answered": 0.9, "answered_accuracy": 0.75},
}


def test_the_strangers_verdict_sets_strangers_against_the_models_own_digits():
    verdict = narrative.strangers_verdict(STRANGERS, best="CNN", own_accuracy=0.989, threshold=0.8)
    assert verdict.answer.startswith("Not as well as their own writers")
    assert "79.0%" in verdict.answer and "98.9%" in verdict.answer
    assert (
        "80.0% of them" in verdict.evidence
        and "12.6% of those answers are wrong" in verdict.evidence
    )


def test_the_strangers_verdict_names_another_model_that_reads_them_better():
    verdict = narrative.strangers_verdict(
        STRANGERS, best="RBF SVC", own_accuracy=0.99, threshold=0.8
    )
    assert "The CNN reads them best (79.0%)" in verdict.evidence


GOALS = {"accuracy": 0.98, "answered_accuracy": 0.995, "answered": 0.95, "strips": 0.9}


def _reader(accuracy, answered, answered_accuracy, strips):
    return narrative.reader_verdict(
        {
            "n_digits": 1996,
            "accuracy": accuracy,
            "answered": answered,
            "answered_accuracy": answered_accuracy,
        },
        {"exact": strips},
        goals=GOALS,
        study_best="CNN",
        study_best_accuracy=0.79,
    )


def test_the_reader_verdict_says_yes_only_when_every_goal_is_met():
    assert _reader(0.985, 0.96, 0.996, 0.92).answer.startswith("Yes")
    partly = _reader(0.985, 0.93, 0.996, 0.92)
    assert partly.answer.startswith("Partly: the reader meets 3 of the 4 goals")
    assert "digits answered fall short" in partly.answer
    assert _reader(0.9, 0.5, 0.9, 0.1).answer.startswith("No")


def test_the_reader_verdict_gives_every_figure_with_its_goal_and_the_study_beside_it():
    evidence = _reader(0.985, 0.96, 0.996, 0.92).evidence
    assert "On 1,996 held-out real digits" in evidence
    assert "98.5% digits read right (goal 98.0%)" in evidence
    assert "92.0% five-digit strips read exactly (goal 90.0%)" in evidence
    assert "the CNN, reads 79.0%" in evidence


def _paths(alike_sklearn: int, alike_keras: int):
    import pandas as pd

    row = {
        "reading ms per digit, plain": 0.9,
        "reading ms per digit, this project": 0.02,
        "test digits": 360,
    }
    return pd.DataFrame(
        [
            {
                **row,
                "model": "scikit-learn MLP",
                "plain training": "MLPClassifier.fit",
                "plain reading": "MLPClassifier.predict (the same)",
                "training s, plain": 12.0,
                "training s, this project": 3.0,
                "test predictions alike": alike_sklearn,
            },
            {
                **row,
                "model": "Keras MLP",
                "plain training": "Model.fit",
                "plain reading": "Model.predict",
                "training s, plain": 20.0,
                "training s, this project": 2.0,
                "test predictions alike": alike_keras,
            },
        ]
    ).set_index("model")


def test_the_library_paths_summary_gives_each_mlp_both_times_and_the_ratio():
    text = narrative.library_paths_summary(_paths(360, 352), machine="CPU X, 2 cores")
    assert "took 12.0 s with `MLPClassifier.fit` and 3.0 s" in text and "4.0 times" in text
    assert "took 20.0 s with `Model.fit` and 2.0 s" in text and "10.0 times" in text
    assert "all 360 test digits alike" in text and "352 of the 360 test digits alike" in text
    assert "CPU X, 2 cores" in text and "0.900 ms per digit" in text


def test_the_library_paths_summary_does_not_claim_agreement_it_did_not_see():
    text = narrative.library_paths_summary(_paths(359, 360), machine="CPU X, 2 cores")
    assert "359 of the 360" in text and "all 360 test digits alike" in text
