"""Coverage-guided fuzz targets (atheris), run by `make fuzz`, never in CI: `fuzz_<topic>.py`."""
