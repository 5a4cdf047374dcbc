"""The runner: scenario execution, the judge, checks and the known-deviation registry."""
