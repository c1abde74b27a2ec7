from evals.metrics.answer import answers_all, contains_alias, normalize, supported_by


def test_normalize_drops_case_punctuation_and_articles() -> None:
    assert normalize("The U.S.-ROK  “Statement”!") == "u s rok statement"


def test_alias_must_match_whole_words() -> None:
    assert contains_alias("It was signed by Jung Pak.", ["jung pak"])
    assert not contains_alias("It was signed by Jung Paków.", ["Jung Pak"])


def test_every_group_must_appear() -> None:
    groups = [["Jung Pak"], ["Cho Koo-rae", "Cho"]]
    assert answers_all("Jung Pak and Cho Koo-rae", groups)
    assert not answers_all("Jung Pak alone", groups)


def test_support_is_found_in_quotes() -> None:
    assert supported_by(["The signatories were A, B and C."], "signatories were")
    assert not supported_by(["Something else."], "signatories were")
