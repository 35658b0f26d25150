"""Hardware and signal: modem, framing, SDR, Hamlib, serial rotators. Imports nothing of ours."""
