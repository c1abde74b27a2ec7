import pytest

from service.answering.base import build_answerer
from service.errors import ConfigurationError
from service.settings import Settings


def test_nested_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGCHAT_RETRIEVAL__TOP_K", "9")
    monkeypatch.setenv("RAGCHAT_DATA_DIR", "/tmp/somewhere")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.retrieval.top_k == 9
    assert str(s.data_dir) == "/tmp/somewhere"


def test_unknown_answerer_mode_lists_valid_ones() -> None:
    s = Settings(_env_file=None, llm="nonsense")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="valid modes: auto, extractive"):
        build_answerer(s, None, None)  # type: ignore[arg-type]


def test_the_env_example_gate_threshold_left_empty_means_the_models_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAGCHAT_ANSWER__GATE_THRESHOLD", "")
    assert Settings(_env_file=None).answer.gate_threshold is None  # type: ignore[call-arg]
    monkeypatch.setenv("RAGCHAT_ANSWER__GATE_THRESHOLD", "0.4")
    assert Settings(_env_file=None).answer.gate_threshold == 0.4  # type: ignore[call-arg]
