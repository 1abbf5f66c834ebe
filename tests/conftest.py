"""Groups for running the suite on two processes (`pytest -n 2 --dist loadgroup --no-loadscope-reorder`, as CI
does): the tests that share the smoke world's build (the `smoke_world` fixture, minutes) stay on one worker, every
other module's tests stay together (their module fixtures are built once), and the other end-to-end workflow tests
run wherever a worker is free. Collection order puts the smoke world first and those builds next, so that one
worker takes the smoke world while the other works through everything else (a worker is handed its next group when
it has two tests left, so a long build queued last would wait behind the smoke world). Without xdist the marks do
nothing."""
import pytest

HEAVY = ("test_local_files_config_end_to_end", "test_two_clean_runs_give_identical_tables",
         "test_a_killed_training_job_resumes_to_the_same_adapter")


def _group(item) -> tuple[int, str]:
    module = item.nodeid.split("::")[0]
    if "smoke_world" in getattr(item, "fixturenames", ()):
        return 0, "smoke-world"
    if module.endswith("test_workflow.py"):
        return (1 if item.name in HEAVY else 2), item.nodeid   # a build of its own: free to run beside the smoke world
    return 2, module


@pytest.hookimpl(tryfirst=True)       # before xdist reads the groups off the marks
def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: _group(item)[0])           # stable: the order within each rank is kept
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)[1]))
