import numpy as np
import pandas as pd
import pytest

from uqtrack.evaluation import evaluate


def _table():
    # two daughters of one pair: 5 has candidates 1, 2 (+ none), truly from 1, MAP says 1;
    # 6 has candidate 2 (+ none), truly from 3 (not a candidate), MAP says it appears;
    # 7 has no candidate at all and truly appears.
    rows = [
        # t, t2, daughter, mother, cost, logp, p_cond, pred, true
        (0, 1, 5, 0, 10.0, -10.0, 0.1, False, False),
        (0, 1, 5, 1, 1.0, -1.0, 0.7, True, True),
        (0, 1, 5, 2, 2.0, -2.0, 0.2, False, False),
        (0, 1, 6, 0, 10.0, -10.0, 0.6, True, False),
        (0, 1, 6, 2, 12.0, -12.0, 0.4, False, False),
        (0, 1, 7, 0, 10.0, -10.0, 1.0, True, True),
    ]
    cols = ["t", "t2", "daughter", "mother", "cost", "logp", "p_cond", "pred", "true"]
    return pd.DataFrame(rows, columns=cols)


def test_counts_by_hand():
    result = evaluate(_table(), tau=1.0)
    assert int(result["n_daughters"]) == 3
    assert int(result["n_without_candidates"]) == 1
    assert int(result["n_predicted_links"]) == 1  # appearances are not judged
    assert float(result["accuracy"]) == 1.0
    assert float(result["link_recall"]) == pytest.approx(1 / 2)  # 1 of 2 true links found
    assert float(result["share_predicted_appearing"]) == pytest.approx(2 / 3)
    assert float(result["share_without_mother"]) == pytest.approx(1 / 3)
    assert float(result["candidate_recall"]) == pytest.approx(1 / 2)  # 6's mother is no candidate


def test_raw_ece_uses_p_cond_and_ts_rescales_logp():
    result = evaluate(_table(), tau=1.0)
    # one judged link, confidence 0.7, correct: ECE = |1 - 0.7|
    assert float(result["ece"].sel(ts="raw")) == pytest.approx(0.3)
    # tau = 1 on logp: softmax(-10, -1, -2) for daughter 5
    p = np.exp([-1.0]) / np.exp([-10.0, -1.0, -2.0]).sum()
    assert float(result["ece"].sel(ts="ts")) == pytest.approx(1 - p[0])
    assert float(result["temperature"]) == 1.0


def test_judged_rows_keep_every_class_of_daughters_with_a_predicted_link():
    from uqtrack.tables import judged_rows

    assert judged_rows(_table()).tolist() == [True, True, True, False, False, False]
