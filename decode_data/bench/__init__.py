"""`python -m decode_data bench`: how fast is the learning loop on this machine (engine_bench.py)?"""

from decode_data.bench.engine_bench import main, run_bench

__all__ = ["main", "run_bench"]
