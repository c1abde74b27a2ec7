import pytest

from service.api.ratelimit import parse_rates


def test_rates_use_the_limits_notation_and_zero_turns_them_off() -> None:
    assert parse_rates("0", "X") == []
    assert parse_rates(" ", "X") == []
    assert [str(r) for r in parse_rates("600/minute", "X")] == ["600 per 1 minute"]
    assert [str(r) for r in parse_rates("10/second;600/hour", "X")] == [
        "10 per 1 second",
        "600 per 1 hour",
    ]


@pytest.mark.parametrize("value", ["lots", "600", "-1/minute", "600/fortnight"])
def test_a_value_that_is_no_rate_names_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match=r"RAGCHAT_RATE_LIMIT__PER_IP: .* is not a rate"):
        parse_rates(value, "RAGCHAT_RATE_LIMIT__PER_IP")
