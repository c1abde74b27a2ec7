import os

from pydantic import AliasChoices, BaseModel

from service.settings import Settings
from tests.conftest import ROOT


def env_names(model: type[BaseModel], prefix: str) -> dict[str, tuple[str, ...]]:
    """Env variable name -> attribute path, for every leaf setting."""
    names: dict[str, tuple[str, ...]] = {}
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            for env, path in env_names(ann, f"{prefix}{name.upper()}__").items():
                names[env] = (name, *path)
        elif isinstance(field.validation_alias, AliasChoices):
            names[str(field.validation_alias.choices[0])] = (name,)
        else:
            names[f"{prefix}{name.upper()}"] = (name,)
    return names


def test_env_example_lists_every_setting_with_its_default(monkeypatch) -> None:
    for var in [v for v in os.environ if v.startswith("RAGCHAT_")]:
        monkeypatch.delenv(var)  # the suite sets some (tests/conftest.py): defaults only here
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    names = env_names(Settings, "RAGCHAT_")
    assert set(listed) == set(names)
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for key, value in listed.items():
        obj: object = defaults
        for part in names[key]:
            obj = getattr(obj, part)
        if obj is None or obj == "":
            assert value == "", key
        else:
            shown = str(obj).lower() if isinstance(obj, bool) else str(obj)
            assert shown in (value, value.lstrip("./")), key
