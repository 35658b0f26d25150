"""Post-quantum governance: council keys, rosters, signed packets and the node-side verifier.

This package is self-contained (only `cryptography` and the standard library) so that flight
software and the node simulator can use the verifier alone; an import-linter contract keeps it
from importing the rest of groundstation.
"""
