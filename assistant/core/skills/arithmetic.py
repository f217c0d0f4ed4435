"""Arithmetic said in words or symbols: "what is twelve times 7", "subtract 3 from 10", "15% of 200",
"square root of 81", "(2+3)*4". A small recursive-descent parser; nothing is ever eval()'d."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.core.skills.numbers import format_number, words_to_digits
from assistant.core.skills.text import clean_command

MAX_TOKENS = 64
MAX_MAGNITUDE = 1e100


class ArithmeticError_(ValueError):
    """The sentence is not a sum we can work out; the message says why, in words."""


@dataclass(frozen=True)
class Result:
    expression: str  # as shown to the user, e.g. "12 × 7"
    value: float


_NUM = r"-?\d+(?:\.\d+)?"
# Phrasings where the operands come in another order, rewritten to infix first.
_REWRITES = [
    (re.compile(rf"\bsubtract ({_NUM}) from ({_NUM})"), r"\2 - \1"),
    (re.compile(rf"\btake ({_NUM}) (?:away )?from ({_NUM})"), r"\2 - \1"),
    (re.compile(rf"\b(?:add|sum) ({_NUM}) (?:and|to|plus) ({_NUM})"), r"\1 + \2"),
    (re.compile(rf"\bmultiply ({_NUM}) (?:by|and|with) ({_NUM})"), r"\1 * \2"),
    (re.compile(rf"\bdivide ({_NUM}) (?:by|into) ({_NUM})"), r"\1 / \2"),
    (re.compile(rf"\b(?:the )?sum of ({_NUM}) and ({_NUM})"), r"\1 + \2"),
    (re.compile(rf"\b(?:the )?product of ({_NUM}) and ({_NUM})"), r"\1 * \2"),
    (re.compile(rf"\b(?:the )?difference between ({_NUM}) and ({_NUM})"), r"\1 - \2"),
    (re.compile(rf"\b(?:the )?quotient of ({_NUM}) and ({_NUM})"), r"\1 / \2"),
    (re.compile(rf"\badd ({_NUM}) (?:and|to) ({_NUM})"), r"\1 + \2"),
]
_WORD_OPS = [
    (re.compile(r"\b(?:the )?square root of\b|\bsqrt\b|√"), " sqrt "),
    (re.compile(r"\b(?:to the power of|raised to(?: the power of)?|to the)\b|\*\*"), " ^ "),
    (re.compile(r"\bsquared\b"), " ^ 2 "),
    (re.compile(r"\bcubed\b"), " ^ 3 "),
    (re.compile(r"\b(?:percent|per cent) of\b|% of"), " pct "),
    (re.compile(r"\b(?:multiplied by|times|x)\b|×|·"), " * "),
    (re.compile(r"\b(?:divided by|over)\b|÷"), " / "),
    (re.compile(r"\bplus\b"), " + "),
    (re.compile(r"\bminus\b|−"), " - "),
    (re.compile(r"\bmod(?:ulo)?\b"), " mod "),
]
_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?|sqrt|pct|mod|[-+*/^()]")
_SYMBOL = {"*": "×", "/": "÷", "pct": "% of", "mod": "mod"}


def _tokens(text: str) -> list[str]:
    t = words_to_digits(clean_command(text))
    t = re.sub(r"(\d)\s*\.\s*(\d)", r"\1.\2", t)  # "2 . 5" from the word splitter -> 2.5
    t = re.sub(r"(\d)\s*,\s*(\d{3})\b", r"\1\2", t)  # 1,000 -> 1000
    t = re.sub(r"\bpoint (\d+)", r".\1", t)
    t = re.sub(r"(\d) \.(\d)", r"\1.\2", t)
    for pattern, repl in _REWRITES:
        t = pattern.sub(repl, t)
    for pattern, repl in _WORD_OPS:
        t = pattern.sub(repl, t)
    t = re.sub(r"(\d)\s*%", r"\1 pct100 ", t)  # "15%" alone
    tokens = _TOKEN_RE.findall(t.replace("pct100", "/ 100"))
    return tokens[:MAX_TOKENS + 1]


class _Parser:
    """expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'pct'|'mod') unary)* ;
    unary := ('-'|'+'|'sqrt') unary | power ; power := atom ('^' unary)? ; atom := number | '(' expr ')'"""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.pos = 0
        self.shown: list[str] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expr(self) -> tuple[float, str]:
        value, shown = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs, rshown = self.term()
            value = value + rhs if op == "+" else value - rhs
            shown = f"{shown} {op} {rshown}"
        return _check(value), shown

    def term(self) -> tuple[float, str]:
        value, shown = self.unary()
        while self.peek() in ("*", "/", "pct", "mod"):
            op = self.take()
            rhs, rshown = self.unary()
            if op == "*":
                value *= rhs
            elif op == "pct":
                value = value / 100 * rhs
            elif rhs == 0:
                raise ArithmeticError_("I can't divide by zero.")
            elif op == "/":
                value /= rhs
            else:
                value = math.fmod(value, rhs)
            shown = f"{shown} {_SYMBOL[op]} {rshown}"
        return _check(value), shown

    def unary(self) -> tuple[float, str]:
        tok = self.peek()
        if tok == "-":
            self.take()
            value, shown = self.unary()
            return -value, f"-{shown}"
        if tok == "+":
            self.take()
            return self.unary()
        if tok == "sqrt":
            self.take()
            value, shown = self.unary()
            if value < 0:
                raise ArithmeticError_("The square root of a negative number is not a real number.")
            return math.sqrt(value), f"√{shown}"
        return self.power()

    def power(self) -> tuple[float, str]:
        value, shown = self.atom()
        if self.peek() == "^":
            self.take()
            exp, eshown = self.unary()
            if abs(exp) > 1000 or (value == 0 and exp < 0):
                raise ArithmeticError_("That power is too large for me.")
            try:
                value = math.pow(value, exp)
            except (OverflowError, ValueError) as exc:
                raise ArithmeticError_("That power is too large for me.") from exc
            shown = f"{shown}^{eshown}"
        return _check(value), shown

    def atom(self) -> tuple[float, str]:
        tok = self.peek()
        if tok is None:
            raise ArithmeticError_("The sum stops too early.")
        if tok == "(":
            self.take()
            value, shown = self.expr()
            if self.peek() != ")":
                raise ArithmeticError_("A bracket is not closed.")
            self.take()
            return value, f"({shown})"
        if re.fullmatch(r"\d+(?:\.\d+)?", tok):
            self.take()
            return float(tok), format_number(float(tok))
        raise ArithmeticError_(f"I did not expect '{tok}' there.")


def _check(value: float) -> float:
    if math.isnan(value) or math.isinf(value) or abs(value) > MAX_MAGNITUDE:
        raise ArithmeticError_("The result is too large for me.")
    return value


def calculate(text: str) -> Result:
    """Work out the sum in `text`; raises ArithmeticError_ with a message for the user."""
    tokens = _tokens(text)
    if len(tokens) > MAX_TOKENS:
        raise ArithmeticError_("That sum is too long for me.")
    if not any(re.fullmatch(r"\d+(?:\.\d+)?", t) for t in tokens):
        raise ArithmeticError_("I could not find any numbers in that.")
    if not any(t in ("+", "-", "*", "/", "^", "sqrt", "pct", "mod") for t in tokens):
        raise ArithmeticError_("I could not find a sum in that.")
    parser = _Parser(tokens)
    value, shown = parser.expr()
    if parser.pos != len(tokens):
        raise ArithmeticError_(f"I did not understand the part after '{shown}'.")
    return Result(shown, value)


def reply(text: str) -> str:
    try:
        result = calculate(text)
    except ArithmeticError_ as exc:
        return f"{exc} Try for example \"what is 12 times 7\"."
    return f"{result.expression} = {format_number(result.value)}"
