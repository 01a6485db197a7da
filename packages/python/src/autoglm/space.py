"""Search-space parameters and the checks that tie ``trial.suggest_*`` calls to a study's space.

The platform's sampler proposes every parameter of a trial at ``ask`` time from the study's
space (the same spec YAML uses), so a ``suggest_*`` call inside an objective does not choose a
value: it returns the one the platform proposed, after checking that the call describes the
parameter the study holds (a silent difference would tune something else than the code runs).
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import SpaceMismatchError

__all__ = ["Float", "Int", "Categorical", "space_to_spec", "describe_param"]

Choice = Union[str, int, float, bool]


class _Param:
    type = ""

    def __init__(self, when: Optional[Mapping[str, Any]] = None) -> None:
        self.when = dict(when) if when else None

    def to_spec(self) -> Dict[str, Any]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Param) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_spec().items())))

    def __repr__(self) -> str:
        args = ", ".join("%s=%r" % (k, v) for k, v in self.to_spec().items() if k != "type")
        return "autoglm.%s(%s)" % (self.__class__.__name__, args)


class Float(_Param):
    """A real parameter in ``[low, high]``; ``log=True`` samples on a log scale, ``step`` discretises."""

    type = "float"

    def __init__(
        self,
        low: float,
        high: float,
        *,
        log: bool = False,
        step: Optional[float] = None,
        when: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(when)
        self.low = float(low)
        self.high = float(high)
        self.log = bool(log)
        self.step = None if step is None else float(step)
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low > self.high:
            raise ValueError("Float needs finite low <= high (got %r, %r)" % (low, high))
        if self.log and self.low <= 0:
            raise ValueError("Float(log=True) needs low > 0 (got %r)" % (low,))
        if self.log and self.step is not None:
            raise ValueError("Float cannot combine log=True with step")

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": "float", "low": self.low, "high": self.high}
        if self.log:
            spec["log"] = True
        if self.step is not None:
            spec["step"] = self.step
        if self.when:
            spec["when"] = self.when
        return spec


class Int(_Param):
    """An integer parameter in ``[low, high]`` (both included)."""

    type = "int"

    def __init__(
        self,
        low: int,
        high: int,
        *,
        log: bool = False,
        step: Optional[int] = None,
        when: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(when)
        if int(low) != low or int(high) != high:
            raise ValueError("Int needs whole numbers (got %r, %r)" % (low, high))
        self.low = int(low)
        self.high = int(high)
        self.log = bool(log)
        self.step = None if step is None else int(step)
        if self.low > self.high:
            raise ValueError("Int needs low <= high (got %r, %r)" % (low, high))
        if self.log and self.low <= 0:
            raise ValueError("Int(log=True) needs low > 0 (got %r)" % (low,))

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": "int", "low": self.low, "high": self.high}
        if self.log:
            spec["log"] = True
        if self.step is not None and self.step != 1:
            spec["step"] = self.step
        if self.when:
            spec["when"] = self.when
        return spec


class Categorical(_Param):
    """One of ``choices`` (strings, numbers or booleans)."""

    type = "categorical"

    def __init__(self, choices: Sequence[Choice], *, when: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(when)
        self.choices: List[Choice] = list(choices)
        if not self.choices:
            raise ValueError("Categorical needs at least one choice")
        for c in self.choices:
            if c is not None and not isinstance(c, (str, int, float, bool)):
                raise ValueError("Categorical choices must be str, int, float or bool (got %r)" % (c,))

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": "categorical", "choices": list(self.choices)}
        if self.when:
            spec["when"] = self.when
        return spec


def space_to_spec(space: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    """``{"lr": Float(…), "act": {"type": "categorical", …}}`` → the spec's ``space`` mapping."""
    out: Dict[str, Dict[str, Any]] = {}
    for name, p in space.items():
        if isinstance(p, _Param):
            out[str(name)] = p.to_spec()
        elif isinstance(p, Mapping) and "type" in p:
            out[str(name)] = dict(p)
        else:
            raise TypeError(
                "space[%r] must be autoglm.Float/Int/Categorical or a spec mapping like "
                "{'type': 'float', 'low': 0, 'high': 1} (got %r)" % (name, p)
            )
    return out


def describe_param(spec: Mapping[str, Any]) -> str:
    """``float in [1e-05, 0.1] log`` — for messages."""
    if spec.get("type") == "categorical":
        return "categorical %r" % (list(spec.get("choices", [])),)
    text = "%s in [%s, %s]" % (spec.get("type"), _num(spec.get("low")), _num(spec.get("high")))
    if spec.get("log"):
        text += " log"
    if spec.get("step") is not None and not (spec.get("type") == "int" and spec.get("step") == 1):
        text += " step %s" % _num(spec.get("step"))
    return text


def _num(v: Any) -> str:
    return "%g" % v if isinstance(v, float) else str(v)


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def check_suggest(name: str, wanted: Mapping[str, Any], space: Mapping[str, Mapping[str, Any]]) -> None:
    """Raises ``SpaceMismatchError`` unless ``wanted`` (from a suggest call) is the study's ``space[name]``."""
    held = space.get(name)
    if held is None:
        raise SpaceMismatchError(
            "parameter %r is not in the study's space (%s); the space is fixed when the study is created: "
            "give create_study(space=...) every parameter, conditional ones with when=" % (name, ", ".join(sorted(space)) or "empty")
        )
    diffs: List[str] = []
    if held.get("type") != wanted.get("type"):
        diffs.append("type %s, not %s" % (held.get("type"), wanted.get("type")))
    elif wanted.get("type") == "categorical":
        if list(held.get("choices", [])) != list(wanted.get("choices", [])):
            diffs.append("choices %r, not %r" % (list(held.get("choices", [])), list(wanted.get("choices", []))))
    else:
        for key in ("low", "high"):
            if not _close(held.get(key), wanted.get(key)):
                diffs.append("%s %s, not %s" % (key, _num(held.get(key)), _num(wanted.get(key))))
        if bool(held.get("log")) != bool(wanted.get("log")):
            diffs.append("log %s, not %s" % (bool(held.get("log")), bool(wanted.get("log"))))
        h_step = held.get("step")
        w_step = wanted.get("step")
        if wanted.get("type") == "int":
            h_step = h_step or 1
            w_step = w_step or 1
        if not _close(h_step, w_step):
            diffs.append("step %s, not %s" % (h_step, w_step))
    if diffs:
        raise SpaceMismatchError(
            "suggest for %r does not match the study's space: the study has %s (%s)"
            % (name, describe_param(held), "; ".join(diffs))
        )


def representative_value(spec: Mapping[str, Any]) -> Any:
    """A valid value of a parameter (its middle; the first choice), used while discovering a space."""
    kind = spec.get("type")
    if kind == "categorical":
        return list(spec["choices"])[0]
    low, high = spec["low"], spec["high"]
    if spec.get("log"):
        mid = math.sqrt(float(low) * float(high))
    else:
        mid = (float(low) + float(high)) / 2
    step = spec.get("step")
    if step:
        mid = float(low) + round((mid - float(low)) / float(step)) * float(step)
    if kind == "int":
        return int(min(max(round(mid), low), high))
    return min(max(mid, float(low)), float(high))
