"""Out-of-distribution detection scores: AUROC, AUPR and the false-positive rate at 95 % true positives.

A detector gives every input a score, higher meaning "more likely out of
distribution" (the entropy of the predicted probabilities, one minus the
max probability, or the mutual information of MC samples). The inputs
from outside the training distribution are the positives.
"""

import numpy as np
from scipy.stats import rankdata


def _scores(name, values):
    scores = np.asarray(values, dtype="float64").reshape(-1)
    if scores.size == 0 or not np.isfinite(scores).all():
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a non-empty array of finite "
                         f"scores. Received: {name} with shape {np.shape(values)}")  # fmt: skip
    return scores


def ood_detection(in_distribution, out_of_distribution, true_positive_rate=0.95):
    """How well scores separate out-of-distribution inputs (positives) from in-distribution ones.

    Args:
        in_distribution: Scores of the in-distribution inputs (higher = more
            likely out of distribution).
        out_of_distribution: Scores of the out-of-distribution inputs.
        true_positive_rate: The TPR at which the false-positive rate is read.

    Returns:
        A dict of Python floats. ``auroc``: the probability that an OOD
        input scores higher than an in-distribution one (ties count one
        half), the area under the ROC curve. ``aupr``: average precision
        with OOD inputs as positives (the area under the precision-recall
        curve as scikit-learn's ``average_precision_score`` computes it, a
        step function over the distinct scores). ``fpr_at_95_tpr`` (named
        for ``true_positive_rate``): the fraction of in-distribution inputs
        flagged at the highest threshold that flags at least 95 % of the
        OOD inputs.

    Example:

    >>> from kerasreg.uncertainty import ood_detection
    >>> scores = ood_detection([0.1, 0.2, 0.3, 0.8], [0.4, 0.9])
    >>> round(scores["auroc"], 4), round(scores["aupr"], 4), scores["fpr_at_95_tpr"]
    (0.875, 0.8333, 0.25)
    """
    negatives = _scores("in_distribution", in_distribution)
    positives = _scores("out_of_distribution", out_of_distribution)
    if not 0 < true_positive_rate <= 1:
        raise ValueError("Invalid value received for argument `true_positive_rate`. Expected a float in (0, 1]. "
                         f"Received: true_positive_rate={true_positive_rate!r}")  # fmt: skip
    scores = np.concatenate([positives, negatives])
    is_positive = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    # Mann-Whitney: the mean rank of the positives, ties given their average rank.
    ranks = rankdata(scores)
    auroc = (ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2) / (len(positives) * len(negatives))
    # Thresholds at each distinct score, highest first: flag everything scoring at least that.
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_positive = scores[order], is_positive[order]
    last_of_each = np.r_[np.nonzero(np.diff(sorted_scores))[0], len(scores) - 1]
    true_positives = np.cumsum(sorted_positive)[last_of_each]
    flagged = last_of_each + 1
    recall = true_positives / len(positives)
    precision = true_positives / flagged
    aupr = np.sum(np.diff(np.r_[0.0, recall]) * precision)
    false_positive_rate = (flagged - true_positives) / len(negatives)
    reached = np.nonzero(recall >= true_positive_rate - 1e-12)[0][0]
    percent = f"{100 * true_positive_rate:g}"
    return {"auroc": float(auroc), "aupr": float(aupr), f"fpr_at_{percent}_tpr": float(false_positive_rate[reached])}
