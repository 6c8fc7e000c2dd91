"""The demo world of a run profile: every county's values, with the plan period's
renewal projects applied (values.py draws the values, registers.py the projects)."""

from __future__ import annotations

from cityhealth.demo.generator.registers import with_project_effects
from cityhealth.demo.generator.values import DemoWorld, base_world


def build_world(seed: int, years: tuple[int, ...], plan_start: int | None = None) -> DemoWorld:
    """Every variable of every county and year; with ``plan_start``, the renewal
    projects of the plan period that work move their indicators."""
    world = base_world(seed, years)
    return world if plan_start is None else with_project_effects(world, plan_start)
