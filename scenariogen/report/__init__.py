"""What a run found, to look at: the table of its kept scenarios (``scenariogen list``) and a
static HTML page with the run's summary, that table sortable and filterable, and an animated
picture of every scenario (``scenariogen report``).

Modules: ``table`` (rows, the ``--where`` language, sorting), ``svg`` (a light animated SVG of
one scenario) and ``page`` (the report folder).
"""

from __future__ import annotations

from .table import COLUMNS, ScenarioRow, ScenarioTable, compile_where, format_rows, scenario_table, select

__all__ = ["COLUMNS", "ScenarioRow", "ScenarioTable", "compile_where", "format_rows", "scenario_table", "select"]
