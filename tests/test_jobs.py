"""The background job runner: progress, stop, the queue, errors, one job per owner, the memory budget, clean-up."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from patchlab.jobs import (DEFAULT_KEEP_MB, FINISHED, JobError, JobRefused, JobRunner, default_keep_mb, default_slots,
                           result_nbytes)


def blocker():
    """A job that reports one event, then waits until released or stopped; returns how it ended."""
    release = threading.Event()

    def fn(progress, should_stop):
        progress({"step": 1})
        while not release.is_set():
            if should_stop():
                return "stopped early"
            time.sleep(0.005)
        return "finished"

    return fn, release


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_progress_events_and_result():
    runner = JobRunner(slots=1)

    def count(progress, should_stop):
        for i in range(5):
            progress({"step": i + 1, "loss": 1.0 / (i + 1)})
        return "model"

    job = runner.submit("ana", "count", count)
    assert job.wait(5)
    assert job.status == "done" and job.result == "model" and job.error is None
    assert [e["step"] for e in job.events()] == [1, 2, 3, 4, 5]
    assert [e["step"] for e in job.events(since=3)] == [4, 5]  # only the new ones
    assert job.latest == {"step": 5, "loss": 0.2} and job.n_events == 5
    assert job.elapsed() >= 0 and job.place == 0


def test_events_are_bounded_and_numbered():
    runner = JobRunner(slots=1, max_events=10)
    job = runner.submit("ana", "many", lambda progress, stop: [progress({"i": i}) for i in range(25)] and 1)
    assert job.wait(5)
    assert job.n_events == 25
    assert [e["i"] for e in job.events()] == list(range(15, 25))  # the oldest were dropped
    assert [e["i"] for e in job.events(since=20)] == [20, 21, 22, 23, 24]


def test_stop_keeps_what_was_returned_and_is_idempotent():
    runner = JobRunner(slots=1)
    fn, _ = blocker()
    job = runner.submit("ana", "train", fn)
    assert wait_for(lambda: job.status == "running")
    assert job.stop() is True
    assert job.stop() is False  # Stop pressed twice: nothing more happens, no error
    assert job.wait(5)
    assert job.status == "stopped" and job.result == "stopped early"
    assert job.stop() is False  # and after it ended


def test_queue_order_and_place():
    runner = JobRunner(slots=1)
    first, release_first = blocker()
    started = []

    def record(name):
        def fn(progress, should_stop):
            started.append(name)
            return name
        return fn

    a = runner.submit("ana", "a", first)
    assert wait_for(lambda: a.status == "running")
    b = runner.submit("ben", "b", record("b"))
    c = runner.submit("cleo", "c", record("c"))
    d = runner.submit("dan", "d", record("d"))
    assert (a.place, b.place, c.place, d.place) == (0, 1, 2, 3)
    assert [j.name for j in runner.queue()] == ["a", "b", "c", "d"]
    c.stop()  # leaves the queue without running; the ones behind move up
    assert c.status == "stopped" and c.result is None and d.place == 2
    release_first.set()
    assert runner.wait_idle(5)
    assert started == ["b", "d"]
    assert [j.status for j in (a, b, c, d)] == ["done", "done", "stopped", "done"]


def test_two_slots_run_two_jobs_at_once():
    runner = JobRunner(slots=2)
    fns = [blocker() for _ in range(3)]
    jobs = [runner.submit(f"owner{i}", f"job{i}", fn) for i, (fn, _) in enumerate(fns)]
    assert wait_for(lambda: [j.status for j in jobs] == ["running", "running", "queued"])
    assert jobs[2].place == 1
    for _, release in fns:
        release.set()
    assert runner.wait_idle(5)


def test_one_job_per_owner_and_demo():
    runner = JobRunner(slots=1)
    fn, release = blocker()
    job = runner.submit("ana", "train p=18", fn, demo="classification")
    assert wait_for(lambda: job.status == "running")
    with pytest.raises(JobRefused, match="already have “train p=18” running"):
        runner.submit("ana", "train p=14", blocker()[0], demo="classification")  # Train pressed twice / 2nd tab
    other = runner.submit("ana", "inpaint", lambda p, s: 1, demo="inpainting")  # another demo: queued
    assert other.status == "queued"
    with pytest.raises(JobRefused, match="waiting in the queue"):
        runner.submit("ana", "inpaint again", lambda p, s: 1, demo="inpainting")
    release.set()
    assert runner.wait_idle(5) and job.status == "done"
    again = runner.submit("ana", "train p=14", lambda p, s: "new", demo="classification")  # now fine
    assert again.wait(5) and again.result == "new"


def test_a_new_result_replaces_the_owners_previous_one_only_when_it_arrives():
    runner = JobRunner(slots=1)
    old = runner.submit("ana", "first", lambda p, s: "old model", demo="cl")
    assert old.wait(5) and old.result == "old model"
    failing = runner.submit("ana", "second", lambda p, s: 1 / 0, demo="cl")
    assert failing.wait(5) and failing.status == "failed"
    assert old.result == "old model"  # a failed run loses nothing
    new = runner.submit("ana", "third", lambda p, s: "new model", demo="cl")
    assert failing not in runner.jobs("ana", "cl")  # the failed run's record goes
    assert new.wait(5)
    assert old.result is None and new.result == "new model"
    assert runner.jobs("ana", "cl") == [new] and runner.latest("ana", "cl") is new


def test_errors_inside_a_job_are_sentences_not_tracebacks():
    runner = JobRunner(slots=1)

    def explained(progress, should_stop):
        raise JobError("The time budget ended before the first training step.")

    def crash(progress, should_stop):
        raise KeyError("weights")

    a = runner.submit("ana", "explained", explained)
    b = runner.submit("ben", "crash", crash)
    assert runner.wait_idle(5)
    assert a.status == "failed" and a.error == "The time budget ended before the first training step."
    assert b.status == "failed" and b.result is None
    assert "“crash” failed (KeyError" in b.error and "Traceback" not in b.error and "try again" in b.error
    after = runner.submit("ben", "ok", lambda p, s: 2)  # the runner keeps working after a failure
    assert after.wait(5) and after.result == 2


def model_of(owner, mb=0.4):
    """A stand-in for a trained model: ``mb`` MB of weights."""
    return {"owner": owner, "weights": np.zeros(int(mb * 1e6) // 4, np.float32)}


def test_least_recently_used_model_is_evicted_with_a_notice_when_the_memory_budget_is_full():
    runner = JobRunner(slots=1, keep_mb=1.0)
    jobs = {}
    for owner in ("ana", "ben"):
        jobs[owner] = runner.submit(owner, f"train {owner}", lambda p, s, o=owner: model_of(o))
        assert jobs[owner].wait(5)
    assert runner.kept_bytes() == pytest.approx(0.8e6, rel=1e-3)
    time.sleep(0.01)
    jobs["ana"].touch()  # ana used hers since: ben's is now the least recently used
    sweep = runner.submit("cleo", "sweep", lambda p, s: model_of("cleo"), keeps_model=False)
    assert sweep.wait(5) and jobs["ben"].result is not None  # results without a model do not count
    jobs["cleo"] = runner.submit("cleo", "train cleo", lambda p, s: model_of("cleo"), demo="other")
    assert jobs["cleo"].wait(5)
    assert jobs["ben"].result is None and "removed to make room" in jobs["ben"].notice
    assert "up to 1 MB in all (PATCHLAB_TRAIN_KEEP_MB)" in jobs["ben"].notice
    assert jobs["ana"].result["owner"] == "ana" and jobs["ana"].notice is None
    assert [j.owner for j in runner.kept_models()] == ["ana", "cleo"]
    assert runner.kept_bytes() <= runner.keep_bytes


def test_small_models_are_all_kept_and_a_big_one_pushes_out_as_many_as_needed():
    runner = JobRunner(slots=1, keep_mb=2.0)
    small = [runner.submit(f"p{k}", "t", lambda p, s, k=k: model_of(f"p{k}", mb=0.1)) for k in range(15)]
    assert all(j.wait(5) for j in small) and all(j.result is not None for j in small)  # 15 of them: 1.5 MB
    big = runner.submit("big", "t", lambda p, s: model_of("big", mb=1.1))
    assert big.wait(5) and big.result is not None
    dropped = [j.owner for j in small if j.result is None]
    assert dropped == [f"p{k}" for k in range(7)]  # the 7 oldest: 8 x 0.1 + 1.1 MB is within 2 MB, 9 x 0.1 is not
    huge = runner.submit("huge", "t", lambda p, s: model_of("huge", mb=3.0))
    assert huge.wait(5) and huge.result is not None  # alone over the budget, it is still kept
    assert [j.owner for j in runner.kept_models()] == ["huge"]


def test_a_hundred_trained_classifiers_fit_the_default_budget():
    """The largest classifier of the Train page (p = 28), measured with its Download files, 100 times."""
    from patchlab.classification import DigitClassifier
    from patchlab.classification.live import LiveModel, TrainRequest
    from patchlab.classification.model import build_patch_classifier

    model = build_patch_classifier(28)
    weights = model.count_params() * 4
    request = TrainRequest(28, steps=2, augment=False)
    card = {"training": {"steps": 2}}
    live = LiveModel(request, DigitClassifier(model, 28, card), card, {"single_patch": [0.9], "fused": {"mean": 0.9}},
                     n_test=100, steps=2, seconds=1.0, stopped_early=False)
    alone = result_nbytes(live)
    assert weights <= alone < weights + 20_000  # the weights, and a card's worth of text
    live.files()  # Download pressed: the .keras file and the card are kept with it
    size = result_nbytes(live)
    assert size > alone + 0.5 * weights
    runner = JobRunner(slots=1)
    assert runner.keep_bytes == DEFAULT_KEEP_MB * 10**6
    assert 100 * size <= runner.keep_bytes, f"100 classifiers of {size / 1e6:.2f} MB do not fit"
    jobs = [runner.submit(f"p{k}", "t", lambda p, s: live) for k in range(100)]
    assert all(j.wait(5) for j in jobs)
    assert len(runner.kept_models()) == 100 and all(j.notice is None for j in jobs)
    assert runner.kept_bytes() == 100 * size


def test_cleanup_stops_and_forgets_an_owners_jobs():
    runner = JobRunner(slots=1)
    done = runner.submit("ana", "done", lambda p, s: "model", demo="a")
    assert done.wait(5)
    fn, _ = blocker()
    running = runner.submit("ana", "running", fn, demo="b")
    queued = runner.submit("ana", "queued", lambda p, s: "never", demo="c")
    other = runner.submit("ben", "other", lambda p, s: "kept", demo="a")
    assert wait_for(lambda: running.status == "running")
    assert runner.cleanup("ana", wait_s=5) == 3
    assert runner.jobs("ana") == [] and "ana" not in runner.owners()
    assert running.status == "stopped" and running.result is None  # its thread ended; nothing kept
    assert queued.status == "stopped" and done.result is None
    assert runner.wait_idle(5) and other.result == "kept"  # another owner's job is untouched


def test_expire_cleans_up_owners_gone_for_longer_than_the_grace_period():
    runner = JobRunner(slots=1)
    for owner in ("ana", "ben"):
        assert runner.submit(owner, "t", lambda p, s: "model").wait(5)
    alive = {"ana"}
    assert runner.expire(alive.__contains__, grace_s=60) == []  # ben gone, but only just
    assert runner.expire(alive.__contains__, grace_s=0) == ["ben"]
    assert runner.owners() == ["ana"]


def test_janitor_expires_in_the_background():
    runner = JobRunner(slots=1)
    job = runner.submit("ana", "t", lambda p, s: "model")
    assert job.wait(5)
    assert runner.start_janitor(lambda owner: False, every_s=0.02, grace_s=0) is True
    assert runner.start_janitor(lambda owner: False) is False  # once per runner
    assert wait_for(lambda: runner.owners() == [])
    assert job.result is None
    runner.shutdown()
    with pytest.raises(JobRefused, match="shutting down"):
        runner.submit("ana", "t", lambda p, s: 1)


def test_a_failing_liveness_test_keeps_the_owner():
    runner = JobRunner(slots=1)
    assert runner.submit("ana", "t", lambda p, s: "model").wait(5)

    def broken(owner):
        raise RuntimeError("no runtime")

    assert runner.expire(broken, grace_s=0) == [] and runner.owners() == ["ana"]


def test_bad_arguments_are_named(monkeypatch):
    with pytest.raises(ValueError, match="slots"):
        JobRunner(slots=0)
    for bad in (0, -1, float("inf"), float("nan"), True, "100"):
        with pytest.raises(ValueError, match="keep_mb"):
            JobRunner(keep_mb=bad)
    runner = JobRunner(slots=1)
    with pytest.raises(ValueError, match="owner"):
        runner.submit("", "t", lambda p, s: 1)
    with pytest.raises(ValueError, match="fn"):
        runner.submit("ana", "t", "not a function")
    monkeypatch.setenv("PATCHLAB_TRAIN_SLOTS", "3")
    monkeypatch.setenv("PATCHLAB_TRAIN_KEEP_MB", "nonsense")
    assert default_slots() == 3 and default_keep_mb() == DEFAULT_KEEP_MB
    assert JobRunner().slots == 3
    monkeypatch.setenv("PATCHLAB_TRAIN_KEEP_MB", "64.5")
    assert default_keep_mb() == 64.5 and JobRunner().keep_bytes == 64_500_000


def test_statuses_a_page_can_rely_on():
    assert FINISHED == ("done", "stopped", "failed")


def test_jobs_pause_while_interactive_work_runs():
    from patchlab.jobs import interactive, pause_for_interactive

    assert pause_for_interactive(1.0) < 0.05  # nothing interactive: no wait
    with interactive():
        waited = pause_for_interactive(0.1)
    assert 0.09 <= waited < 1.0  # waited up to the limit

    ended = threading.Event()

    def click():
        with interactive():
            ended.wait(5)

    t = threading.Thread(target=click)
    t.start()
    time.sleep(0.05)
    threading.Timer(0.1, ended.set).start()
    waited = pause_for_interactive(5.0)
    t.join()
    assert 0.05 <= waited < 2.0  # resumed when the click's work ended, not at the limit
