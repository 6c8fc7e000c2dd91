"""Benchmarks: scripts that print timings and memory with a reference measured in the same run."""
