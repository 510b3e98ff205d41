"""``calculator``: arithmetic on an expression, evaluated safely (no eval) and in bounded time.

Every operation is checked *before* it runs: an integer result may not exceed
``MAX_BITS`` bits (about 4,000 decimal digits), whichever subexpressions its
operands came from. One big-integer operation holds the GIL for its whole
duration, so running the tool in a thread would not keep a ``(9**999)**9999``
from freezing the event loop; bounding each operation does.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from runwire.tools import tool

MAX_LENGTH = 1_000
MAX_DIGITS = 4_000
MAX_BITS = int(MAX_DIGITS * math.log2(10))  # 13,287: every allowed integer prints (Python's limit is 4,300 digits)
MAX_EXPONENT = 10_000  # kept for compatibility: the bit bound is what limits powers now

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def _round(number: Any, ndigits: Any = None) -> Any:
    # round(5, -n) computes 10**n: bound n like any other intermediate
    if isinstance(ndigits, int) and abs(ndigits) > MAX_DIGITS:
        raise ValueError(f"round()'s ndigits {ndigits} is out of range (at most {MAX_DIGITS} either way)")
    return round(number, ndigits)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "abs": abs, "round": _round, "min": min, "max": max,
    "log": math.log, "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan, "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}


class ResultTooLargeError(ValueError):
    """An intermediate result would exceed the calculator's size bound."""


def _too_large(what: str) -> ResultTooLargeError:
    return ResultTooLargeError(
        f"{what} would be too large (results are limited to about {MAX_DIGITS} digits, {MAX_BITS} bits); "
        "rewrite the expression with smaller numbers, or work with logarithms (999 * log(9, 10) is the number of "
        "digits of 9**999, say)"
    )


def _bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) else 0


def _estimate_bits(op: ast.operator, left: Any, right: Any) -> float:
    """An upper estimate of the bits of ``left op right`` when both are ints; 0 when the result is not an int."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return 0  # a float or complex result: bounded by the float range (overflow raises at once)
    if isinstance(op, ast.Pow):
        if right < 0 or abs(left) <= 1:
            return 1  # a float, or 0, 1, -1
        return right * math.log2(abs(left))
    if isinstance(op, ast.Mult):
        return _bits(left) + _bits(right)
    return max(_bits(left), _bits(right)) + 1  # + - // %: never more than one bit above the operands


def _checked(value: Any, what: str) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise _too_large(what)
    return value


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return _checked(node.value, "the number")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if _estimate_bits(node.op, left, right) > MAX_BITS:
            raise _too_large(f"the result of {_short(node)}")
        return _checked(_BINARY[type(node.op)](left, right), f"the result of {_short(node)}")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS and not node.keywords:
        args = [_eval(a) for a in node.args]
        try:
            value = _FUNCTIONS[node.func.id](*args)
        except (ValueError, TypeError) as exc:  # sqrt(-1), min(), floor() of a complex number, ...
            raise ValueError(f"{_short(node)} cannot be computed: {exc}") from None
        return _checked(value, f"the result of {_short(node)}")
    raise ValueError(
        f"unsupported expression {_short(node)!r}: use numbers, + - * / // % **, parentheses, "
        f"{', '.join(_CONSTANTS)} and {', '.join(_FUNCTIONS)}()"
    )


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: The expression, e.g. "(2 + 3) * 4 / sqrt(16)".
    """
    if len(expression) > MAX_LENGTH:
        raise ValueError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"{expression!r} is not an arithmetic expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("the expression is nested too deeply; split it into steps") from None
    try:
        result = _eval(tree)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except OverflowError:
        raise ValueError(
            "a result is out of the floating-point range (about 1.8e308); rewrite the expression with smaller numbers"
        ) from None
    except RecursionError:
        raise ValueError("the expression is nested too deeply; split it into steps") from None
    except (TypeError, ArithmeticError) as exc:  # an operator on a complex number, ...
        raise ValueError(f"{expression!r} cannot be computed: {exc}") from None
    if isinstance(result, float) and result.is_integer() and abs(result) < 1e15:
        result = int(result)
    return str(result)
