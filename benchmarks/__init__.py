"""Benchmarks run by scripts/run_bench.py; each bench_*.py module has a main()."""
