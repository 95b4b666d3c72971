"""The load test's pure helpers (tests/loadtest.py is run by `make loadtest`, not by pytest)."""

import math

import pytest

import loadtest


def test_percentile_is_nearest_rank_on_sorted_values():
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert loadtest.percentile(values, 50) == 3.0
    assert loadtest.percentile(values, 0) == 1.0
    assert loadtest.percentile(values, 100) == 5.0
    assert loadtest.percentile(list(range(1, 21)), 95) == 19  # rank round(0.95 * 19) = 18 -> 19
    assert math.isnan(loadtest.percentile([], 95))


def test_summary_of_nothing_says_so():
    assert loadtest._summary([]) == {"n": 0}
    assert loadtest._summary([1.0, 3.0, 2.0]) == {"n": 3, "p50_s": 2.0, "p95_s": 3.0, "max_s": 3.0}


def test_within_keeps_the_actions_that_began_in_a_window():
    values, times = [1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]
    assert loadtest.within(values, times, [(15.0, 30.0)]) == [2.0, 3.0]
    assert loadtest.within(values, times, [(5.0, 12.0), (35.0, 50.0)]) == [1.0, 4.0]
    assert loadtest.within(values, times, []) == []


def test_rss_at_takes_the_first_sample_at_or_after():
    timeline = [(0.0, 100.0), (1.0, 150.0), (2.0, 120.0)]
    assert loadtest.rss_at(timeline, 0.5) == 150.0
    assert loadtest.rss_at(timeline, 9.0) == 120.0
    assert loadtest.rss_at([], 1.0) is None


def test_result_line_and_short_runs_note_are_read_from_the_train_page_text():
    text = ("Your model against the shipped one Patch size 18, 1,234 steps in 120 s; accuracy on the "
            "1,000 held-out test digits.")
    assert loadtest.parse_result_line(text) == (18, 1234, 120.0, False)
    assert loadtest.parse_result_line("Patch size 9, 3 steps in 2 s (stopped early); accuracy") == (9, 3, 2.0, True)
    assert loadtest.parse_result_line("Press Train to start.") is None
    assert loadtest.short_run_steps("Short runs for testing: each run takes 20 step(s) and is scored") == 20
    assert loadtest.short_run_steps("Choose a patch size") is None


def test_arguments_are_checked_and_train_all_defaults_to_short_runs():
    args = loadtest.parse_args(["--train-all"])
    assert args.train_steps == 20 and loadtest.server_env(args) == {"PATCHLAB_TRAIN_STEPS": "20"}
    args = loadtest.parse_args(["--training"])
    assert args.train_steps is None and loadtest.server_env(args) == {"PATCHLAB_TRAIN_STEPS": ""}
    assert loadtest.server_env(loadtest.parse_args([])) == {}
    for bad in (["--pid", "12"], ["--url", "localhost"], ["--training", "--train-all"], ["--sessions", "0"],
                ["--url", "http://127.0.0.1:1", "--train-steps", "3"]):
        with pytest.raises(SystemExit):
            loadtest.parse_args(bad)
