"""A deterministic synthetic county (青溪县) for demos, tests and benchmarks."""

from gis_app.synth.county import SAMPLE_HOUSEHOLDS, SampleCounty, build_county

__all__ = ["SAMPLE_HOUSEHOLDS", "SampleCounty", "build_county"]
