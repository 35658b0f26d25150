"""Orbits: elements, propagation, passes and Doppler. Wraps sgp4/skyfield; imports nothing of ours."""
