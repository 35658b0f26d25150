"""Station hardware in motion: pointing plans, Doppler control and the real-time tracking loop."""
