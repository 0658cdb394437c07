import pytest


@pytest.fixture(autouse=True)
def _fresh_predicted_scores():
    # The fitted scores are cached per process; every test starts without them.
    from evals.quality.selectors import current_scores_forget

    current_scores_forget()
    yield
    current_scores_forget()
