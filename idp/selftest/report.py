"""The selftest's report: one line per check, what failed and which clause, or JSON for machines."""

from __future__ import annotations

import dataclasses
import json


@dataclasses.dataclass
class Check:
    name: str
    clause: str
    ok: bool
    detail: str = ""


class Report:
    def __init__(self, issuer: str):
        self.issuer = issuer
        self.checks: list[Check] = []

    def check(self, name: str, clause: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, clause, bool(ok), "" if ok else detail))
        return bool(ok)

    def failed(self, name: str, clause: str, detail: str) -> None:
        self.check(name, clause, False, detail)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def as_json(self) -> str:
        return json.dumps({"issuer": self.issuer, "ok": self.ok,
                           "checks": [dataclasses.asdict(c) for c in self.checks]}, indent=2)

    def as_text(self) -> str:
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [f"selftest of {self.issuer}"]
        for c in self.checks:
            line = f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.clause}"
            lines.append(line + (f"\n      {c.detail}" if c.detail else ""))
        failed = sum(1 for c in self.checks if not c.ok)
        lines.append(f"{len(self.checks) - failed} passed, {failed} failed")
        return "\n".join(lines)
