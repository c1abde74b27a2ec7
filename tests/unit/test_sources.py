from ingest.tokenizer import count_tokens
from prompts import load
from service.answering.sources import build_sources
from service.retrieval.hits import ChunkHit


def hit(i: int, words: int) -> ChunkHit:
    text = " ".join(f"word{i}x{k}" for k in range(words))
    return ChunkHit(f"c{i}", f"d{i}", f"s{i}.txt", "t", text, 0, len(text), 0.5)


def test_sources_are_numbered_in_rank_order() -> None:
    block, used = build_sources([hit(1, 5), hit(2, 5)], budget_tokens=1000)
    assert block.startswith("[1] (s1.txt) word1x0")
    assert "\n\n[2] (s2.txt)" in block
    assert [h.chunk_id for h in used] == ["c1", "c2"]


def test_budget_is_never_exceeded() -> None:
    hits = [hit(i, 200) for i in range(10)]
    for budget in (60, 300, 1000):
        block, used = build_sources(hits, budget_tokens=budget)
        assert count_tokens(block) <= budget
        assert 0 < len(used) < 10


def test_prompts_load_and_render() -> None:
    for name in ("answer", "condense", "judge"):
        prompt = load(name)
        assert prompt.system.template.strip()
        assert prompt.user.template.strip()
    messages = load("answer").render(sources="[1] (a.txt) X.", question="What?")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "[1] (a.txt) X." in messages[1]["content"]
