from pydantic import BaseModel

from service.settings import Settings
from tests.conftest import ROOT


def env_names(model: type[BaseModel], prefix: str) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names |= env_names(ann, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def test_env_example_lists_every_setting_with_its_default() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert set(listed) == env_names(Settings, "RAGCHAT_")
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for key, value in listed.items():
        parts = key.removeprefix("RAGCHAT_").lower().split("__")
        obj: object = defaults
        for part in parts:
            obj = getattr(obj, part)
        assert str(obj) in (value, value.lstrip("./")) or (value == "" and obj == ""), key
