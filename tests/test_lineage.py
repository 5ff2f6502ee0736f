import numpy as np
import pandas as pd

from uqtrack.lineage import NO_MOTHER, frame_pairs, link_stats, true_links


def _tracks(rows):
    return pd.DataFrame(rows, columns=["label", "begin", "end", "parent"])


def _detections(tracks, skip=()):
    rows = [
        (f, label)
        for label, begin, end, _ in tracks.itertuples(index=False)
        for f in range(begin, end + 1)
        if (f, label) not in skip
    ]
    return pd.DataFrame(rows, columns=["frame", "label"])


# 1 lives 0..2 and divides into 2 and 3 (3..6); 3 divides into 4 and 5 (7..8);
# 6 enters at frame 4.
TRACKS = _tracks([(1, 0, 2, 0), (2, 3, 8, 1), (3, 3, 6, 1), (4, 7, 8, 3), (5, 7, 8, 3), (6, 4, 8, 0)])


def test_frame_pairs_subsample_from_first_frame():
    assert frame_pairs(np.arange(3, 10), 3) == [(3, 6), (6, 9)]
    assert frame_pairs(np.array([0, 1, 2]), 5) == []


def test_true_mother_is_own_track_or_nearest_ancestor_alive():
    links = true_links(TRACKS, _detections(TRACKS), step=1)
    at = links.set_index(["t2", "daughter"])["mother"]
    assert at[(1, 1)] == 1  # continues
    assert at[(3, 2)] == 1 and at[(3, 3)] == 1  # division
    assert at[(4, 6)] == NO_MOTHER  # enters

    links = true_links(TRACKS, _detections(TRACKS), step=4)  # pairs (0,4), (4,8)
    at = links.set_index(["t2", "daughter"])["mother"]
    assert at[(4, 2)] == 1 and at[(4, 3)] == 1
    assert at[(4, 6)] == NO_MOTHER
    # at t=4 track 3 is alive, so 4 and 5 (its daughters) map to it; 2 and 6 continue
    assert at[(8, 4)] == 3 and at[(8, 5)] == 3 and at[(8, 2)] == 2 and at[(8, 6)] == 6


def test_grandmother_when_mother_not_alive():
    links = true_links(TRACKS, _detections(TRACKS), step=7)  # pair (0, 7)
    at = links.set_index("daughter")["mother"]
    assert at[4] == 1 and at[5] == 1 and at[2] == 1 and at[6] == NO_MOTHER
    stats = link_stats(links, max_daughters=2)
    assert stats["true_links"] == 3
    assert stats["mothers_over_capacity"] == 1 and stats["unreachable_links"] == 1


def test_undetected_ancestor_means_no_mother():
    # track 1 missing from the mask at frame 0 (a gap): nothing to link to
    links = true_links(TRACKS, _detections(TRACKS, skip={(0, 1)}), step=3, frames=np.arange(9))
    at = links.set_index(["t2", "daughter"])["mother"]
    assert at[(3, 2)] == NO_MOTHER


def test_empty_frame_gives_no_daughters_but_no_error():
    tracks = _tracks([(1, 0, 0, 0), (2, 2, 3, 0)])
    links = true_links(tracks, _detections(tracks), step=1, frames=np.arange(4))
    assert set(zip(links["t"], links["t2"])) == {(1, 2), (2, 3)}
    assert (links.loc[links["t"] == 1, "mother"] == NO_MOTHER).all()
