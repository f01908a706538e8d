"""Every rule's embedded VALID / INVALID examples run as tests."""

import pytest

from dlt_lint.rule import all_rules
from dlt_lint.testing import check_invalid, check_valid

RULES = all_rules()
VALID = [pytest.param(r, ex, id=f"{code}-valid-{i}")
         for code, r in RULES.items() for i, ex in enumerate(r.VALID)]
INVALID = [pytest.param(r, ex, id=f"{code}-invalid-{i}")
           for code, r in RULES.items() for i, ex in enumerate(r.INVALID)]


@pytest.mark.parametrize(("rule", "example"), VALID)
def test_valid(rule, example):
    check_valid(rule, example)


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid(rule, example):
    check_invalid(rule, example)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_is_documented(code):
    rule = RULES[code]
    doc = rule.documentation()
    assert rule.name and rule.summary, code
    if code != "DLT000":
        for section in ("What it does", "Why", "Example", "Use instead"):
            assert section in doc, f"{code} documentation lacks '{section}'"
    # DLT000 (parse errors) and DLT901 (runtime round trip) are emitted by the engine and the
    # validator, not by a tree visit: they have no examples to run.
    if code not in ("DLT000", "DLT901"):
        assert rule.INVALID, f"{code} has no INVALID examples"
        assert rule.VALID, f"{code} has no VALID examples"
