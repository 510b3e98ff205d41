"""The calculator as an attacker drives it: huge intermediates are refused before they are computed."""

import ast
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwire.agent import Agent
from runwire.testing import ScriptedModel, ToolCall
from runwire_tools import calculator
from runwire_tools.calculator import MAX_BITS, MAX_DIGITS

calc = calculator.fn.__globals__  # the calculator module's namespace: its operator table and helpers

# Each of these ran for seconds to minutes holding the GIL (the event loop froze with it) before the fix;
# the timeout turns a regression into a failure instead of a hung suite.
ATTACKS = [
    "(9**999)**9999",  # the left operand is a huge result: the old cap looked at the exponent only
    "(9**9999)**9999",
    "2**2**2**2**2",  # right-associative: 2**65536
    "(2**13000)*(2**13000)",
    "(10**3000)**5",
    "round(1, -10**8)",  # round(int, -n) computes 10**n
    "9**9**9",
    "(-9**4000)**4",
    "-(9**4000)*-(9**4000)",
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("expression", ATTACKS)
def test_huge_intermediates_are_refused_with_a_clear_error(expression):
    with pytest.raises(ValueError, match="too large|out of range"):
        calculator(expression)


@pytest.mark.timeout(60)
def test_the_model_sees_the_refusal_and_the_run_completes():
    model = ScriptedModel([[ToolCall("calculator", {"expression": "(9**9999)**9999"})], "Too big, sorry."])
    out = Agent(model=model, tools=[calculator]).run("compute it")
    tool = out.tools[0]
    assert tool.tool_call_error and "too large" in tool.error and "about 4000 digits" in tool.error
    assert out.content == "Too big, sorry."
    # the refusal is what the model got back as the tool result
    tool_messages = [m for m in model.requests[1].messages if m.role == "tool"]
    assert "too large" in tool_messages[0].text()


def test_large_results_within_the_bound_still_compute():
    assert calculator("2**13000") == str(2**13000)
    assert len(calculator("9**4000")) == len(str(9**4000))
    assert calculator("round(123456, -3)") == "123000"
    assert calculator("9.0 ** 300") == str(9.0**300)
    assert float(calculator("999 * log(9, 10)")) == pytest.approx(len(str(9**999)), abs=1)  # what the error suggests


# -- property tests ---------------------------------------------------------------

_leaf = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: f"({n})"),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(lambda f: f"({f!r})"),
    # sizes an attacker picks: near and far beyond the bound as exponents and as factors
    st.sampled_from(["pi", "e", "0", "1", "-1", "2", "9", "-9", "99", "999", "4000", "9999", "13000", "0.5"]),
)


def _combine(children):
    operator = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "**", "**", "*"])
    binary = st.tuples(children, operator, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    call = st.tuples(st.sampled_from(["sqrt", "abs", "round", "floor", "ceil", "log", "exp", "min", "max"]),
                     st.lists(children, min_size=1, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    return st.one_of(binary, binary, call, children.map(lambda c: f"-{c}"))


expressions = st.recursive(_leaf, _combine, max_leaves=12)


def _recording(table, seen):
    def wrap(op, fn):
        def recorded(left, right):
            if isinstance(left, int) and isinstance(right, int):  # a lower bound of the result's size, not computed
                if op is ast.Pow and right > 0 and abs(left) > 1:
                    assert right * (abs(left).bit_length() - 1) <= MAX_BITS, f"{left} ** {right} was let through"
                if op is ast.Mult and left and right:
                    assert _bits(left) + _bits(right) - 1 <= MAX_BITS, "a product beyond the bound was let through"
            result = fn(left, right)
            seen.append(max(_bits(left), _bits(right), _bits(result)))
            return result
        return recorded

    return {op: wrap(op, fn) for op, fn in table.items()}


def _bits(value):
    return value.bit_length() if isinstance(value, int) else 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_any_expression_answers_or_refuses_and_no_operation_exceeds_the_bound(expression):
    """Whatever the model sends: a str or a ValueError, and no integer operation ever produced or consumed more
    than MAX_BITS bits (checked on the operator table itself, so an estimate that lets one through fails here)."""
    seen: list[int] = []
    with mock.patch.dict(calc["_BINARY"], _recording(dict(calc["_BINARY"]), seen)):
        try:
            result = calculator(expression)
        except ValueError:  # a refusal (an AssertionError from the recorder goes through)
            result = None
    assert all(bits <= MAX_BITS for bits in seen)
    if result is not None:
        assert isinstance(result, str) and len(result) <= MAX_DIGITS + 40


_small = st.integers(min_value=-1000, max_value=1000).map(lambda n: f"({n})")


def _int_ops(children):
    arith = st.tuples(children, st.sampled_from(["+", "-", "*", "//", "%"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    power = st.tuples(children, st.integers(min_value=0, max_value=3)).map(lambda t: f"({t[0]} ** {t[1]})")
    return st.one_of(arith, power)


@settings(max_examples=300, deadline=None)
@given(st.recursive(_small, _int_ops, max_leaves=6))
def test_integer_arithmetic_agrees_with_python(expression):
    """On expressions Python computes quickly, the calculator gives Python's answer (or refuses the same division)."""
    try:
        expected = str(eval(compile(ast.parse(expression, mode="eval"), "<expr>", "eval"), {"__builtins__": {}}))
    except ZeroDivisionError:
        with pytest.raises(ValueError, match="division by zero"):
            calculator(expression)
        return
    if len(expected) > MAX_DIGITS:  # beyond the bound: a refusal is the right answer
        with pytest.raises(ValueError, match="too large"):
            calculator(expression)
        return
    assert calculator(expression) == expected
