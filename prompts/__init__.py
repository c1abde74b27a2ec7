"""Prompt templates, kept as files and read at run time.

Each file holds a system part and a user part separated by a line `---user---`;
placeholders are `$name` (string.Template), so braces in examples need no escaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).parent
_SPLIT = "\n---user---\n"


@dataclass(frozen=True)
class Prompt:
    system: Template
    user: Template

    def render(self, **values: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system.substitute(values).strip()},
            {"role": "user", "content": self.user.substitute(values).strip()},
        ]


def load(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    text = (directory / f"{name}.md").read_text(encoding="utf-8")
    if _SPLIT not in text:
        raise ValueError(f"prompt {name}.md lacks the '---user---' separator line")
    system, user = text.split(_SPLIT, 1)
    return Prompt(system=Template(system), user=Template(user))
